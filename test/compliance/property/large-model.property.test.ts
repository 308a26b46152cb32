/* eslint-disable @stylistic/max-len */ // generator tables read best one prop per line
import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import fc from 'fast-check';
import { count, mostly, optional, property, propCoverageTest, stringMap } from './harness';
import {
  LargeModelImage, ModelData, PromoteShadowStage, RealtimeEndpoint, SageMakerInstanceType, SageMakerModel, SageMakerWorkflow,
} from '../../../lib';
import { measure } from '../prop-coverage';

/** Bad-input search (see harness.ts): large-model images, uncompressed model data, the shadow promotion stage. */
const version = mostly(fc.constantFrom('3.3.6', '3.2.3', '0.36.0', '0.33.0', '2.0.0'), fc.oneof(fc.stringMatching(/^\d{1,2}\.\d{1,2}\.\d{1,2}$/), fc.string({ maxLength: 10 })));
const tag = mostly(fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,30}$/), fc.string({ maxLength: 140 }));

describe('bad-input search', () => {
  test('LargeModelImage and ModelData.fromS3Prefix on a SageMakerModel', () => {
    property(['tgiVersion', 'djlVersion', 'tag', 'keyPrefix', 'environment'], fc.record({
      server: fc.constantFrom('tgi', 'lmi'),
      version,
      tag: optional(tag),
      prefix: mostly(fc.stringMatching(/^[a-z][a-z0-9-]{0,10}(\/[a-z0-9-]{1,8}){0,2}\/$/), fc.string({ maxLength: 20 })),
    }), (c, v) => {
      const options = measure('LargeModelImageOptions', { tag: v.tag });
      const image = v.server === 'tgi' ? LargeModelImage.huggingFaceTgi(v.version, options) : LargeModelImage.djlLmi(v.version, options);
      new SageMakerModel(c.stack, 'Llm', { image, modelData: ModelData.fromS3Prefix(c.bucket, v.prefix) });
    });
  });

  test('PromoteShadowStage', () => {
    property(['endpoint', 'pollInterval', 'maxPolls', 'tags', 'maxPolls x pollInterval', 'shadowVariant'], fc.record({
      shadow: mostly(fc.constant(true), fc.constant(false)),
      // The production variant autoscaled on another instance type than the shadow's: refused.
      scaled: optional(fc.constant(true)),
      sameType: mostly(fc.constant(true), fc.constant(false)),
      timeout: optional(fc.integer({ min: 3600, max: 28_800 })),
      poll: optional(mostly(fc.integer({ min: 10, max: 3600 }), fc.integer({ min: 0, max: 5000 }))),
      maxPolls: optional(count),
      tags: optional(stringMap),
      cleanUp: optional(fc.boolean()),
    }), (c, v) => {
      const role = iam.Role.fromRoleArn(c.stack, 'ModelRole', 'arn:aws:iam::123456789012:role/model', { mutable: false });
      const production = SageMakerModel.fromModelAttributes(c.stack, 'Production', { modelName: 'production', role });
      const candidate = SageMakerModel.fromModelAttributes(c.stack, 'Candidate', { modelName: 'candidate', role });
      const endpoint = new RealtimeEndpoint(c.stack, 'Endpoint', {
        variants: [{
          model: production,
          instanceType: SageMakerInstanceType.ML_C5_XLARGE,
          autoScaling: v.scaled ? { minCapacity: 1, maxCapacity: 2, targetInvocationsPerInstance: 10 } : undefined,
        }],
        shadowVariant: v.shadow ? { model: candidate, instanceType: v.sameType ? SageMakerInstanceType.ML_C5_XLARGE : SageMakerInstanceType.ML_C5_2XLARGE } : undefined,
        deployment: v.timeout === undefined ? undefined : { maximumExecutionTimeout: Duration.seconds(v.timeout) },
      });
      new SageMakerWorkflow(c.stack, 'Workflow', {
        definition: new PromoteShadowStage(c.stack, 'Promote', measure('PromoteShadowStageProps', {
          endpoint,
          pollInterval: v.poll === undefined ? undefined : Duration.seconds(v.poll),
          maxPolls: v.maxPolls,
          tags: v.tags,
          cleanUp: v.cleanUp,
        })),
      });
    });
  });
});

propCoverageTest({});
