import * as fs from 'fs';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { LargeModelImage } from '../../lib';
import { DLC_REGISTRY_ACCOUNTS } from '../../lib/images/deep-learning-container-accounts';
import { DJL_LMI_REGISTRY_ACCOUNTS, DJL_LMI_TAGS, TGI_REGISTRY_ACCOUNTS, TGI_TAGS } from '../../lib/images/large-model-image-accounts';
import { iamPolicies, testApp, testStack } from '../util';

/**
 * The SageMaker Python SDK's values the tables were taken from (a copy of the versions this
 * library lists, from aws/sagemaker-python-sdk's image_uri_config JSON: see the fixture's `source`).
 */
const SDK = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'sagemaker-python-sdk-large-model-images.json'), 'utf8'));

function roleIn(stack: Stack): iam.Role {
  return new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
}

describe('the large-model image tables', () => {
  test('TGI: every version\'s tag and registry account are the SDK\'s (tag <tag_prefix>-gpu-<py>-<container_version>)', () => {
    const versions: Record<string, any> = SDK['huggingface-llm'].versions;
    expect(Object.keys(TGI_TAGS).sort()).toEqual(Object.keys(versions).sort());
    for (const [version, config] of Object.entries(versions)) {
      expect(config.repository).toBe('huggingface-pytorch-tgi-inference');
      expect(TGI_TAGS[version]).toBe(`${config.tag_prefix}-gpu-${config.py_versions[0]}-${config.container_version.gpu}`);
      expect(TGI_REGISTRY_ACCOUNTS).toEqual(config.registries);
    }
  });

  test('LMI: every version\'s tag (its tag_prefix) and registry account are the SDK\'s', () => {
    const versions: Record<string, any> = SDK['djl-lmi'].versions;
    expect(Object.keys(DJL_LMI_TAGS).sort()).toEqual(Object.keys(versions).sort());
    for (const [version, config] of Object.entries(versions)) {
      expect(config.repository).toBe('djl-inference');
      expect(DJL_LMI_TAGS[version]).toBe(config.tag_prefix);
      expect(DJL_LMI_REGISTRY_ACCOUNTS).toEqual(config.registries);
    }
  });

  test('where a Region has a Deep Learning Container registry too, the account is the same', () => {
    for (const table of [TGI_REGISTRY_ACCOUNTS, DJL_LMI_REGISTRY_ACCOUNTS]) {
      for (const [region, account] of Object.entries(DLC_REGISTRY_ACCOUNTS)) {
        if (table[region]) expect([region, table[region]]).toEqual([region, account]);
      }
    }
  });
});

describe('LargeModelImage', () => {
  test('TGI in a known Region: the Region\'s registry, the version\'s tag, pull granted on that repository only', () => {
    const stack = testStack({ account: '123456789012', region: 'eu-south-1' });
    const role = roleIn(stack);
    const config = LargeModelImage.huggingFaceTgi('3.3.6').bind(stack, role);
    expect(stack.resolve(config.imageUri)).toEqual({
      'Fn::Join': ['', ['692866216735.dkr.ecr.eu-south-1.', { Ref: 'AWS::URLSuffix' }, '/huggingface-pytorch-tgi-inference:2.7.0-tgi3.3.6-gpu-py311-cu124-ubuntu22.04']],
    });
    const statements = Object.values<any>(iamPolicies(stack)).flatMap(p => p.Properties.PolicyDocument.Statement);
    expect(statements).toEqual([expect.objectContaining({
      Action: ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ecr:eu-south-1:692866216735:repository/huggingface-pytorch-tgi-inference']] },
    })]);
  });

  test('LMI: the tag is the DJL Serving version\'s, or the tag given for another version', () => {
    const stack = testStack();
    const role = roleIn(stack);
    expect(stack.resolve(LargeModelImage.djlLmi('0.36.0').bind(stack, role).imageUri)['Fn::Join'][1][2]).toBe('/djl-inference:0.36.0-lmi27.0.0-cu130');
    expect(stack.resolve(LargeModelImage.djlLmi('0.37.0', { tag: '0.37.0-lmi28.0.0-cu130' }).bind(stack, role).imageUri)['Fn::Join'][1][2])
      .toBe('/djl-inference:0.37.0-lmi28.0.0-cu130');
    expect(LargeModelImage.DJL_LMI_VERSIONS).toContain('0.36.0');
    expect(LargeModelImage.TGI_VERSIONS).toContain('3.3.6');
  });

  test('a Region-agnostic stack looks the account up at deploy time from one mapping per repository', () => {
    const stack = new Stack(testApp(), 'Agnostic');
    const role = roleIn(stack);
    LargeModelImage.huggingFaceTgi('3.3.6').bind(stack, role);
    LargeModelImage.huggingFaceTgi('3.2.3').bind(stack, role);
    LargeModelImage.djlLmi('0.36.0').bind(stack, role);
    const mappings = Template.fromStack(stack).toJSON().Mappings;
    expect(Object.keys(mappings).sort()).toEqual(['DjlLmiRegistries', 'TgiRegistries']);
    expect(mappings.TgiRegistries['us-east-1']).toEqual({ account: '763104351884' });
    expect(mappings.DjlLmiRegistries['eusc-de-east-1']).toEqual({ account: '204133271717' });
  });

  test.each([
    [() => LargeModelImage.huggingFaceTgi('9.9.9'), /tgiVersion must be one of 2\.0\.0, .*3\.3\.6 .*got '9\.9\.9'; for another version give its tag/],
    [() => LargeModelImage.djlLmi('latest'), /djlVersion must be a version such as '3\.3\.6', got 'latest'/],
    [() => LargeModelImage.djlLmi('0.36.0', { tag: 'bad tag' }), /tag must be an image tag/],
    [() => LargeModelImage.djlLmi('0.36.0').bind(testStack({ account: '123456789012', region: 'xx-nowhere-1' }), roleIn(testStack())), /no djl-inference registry for region 'xx-nowhere-1'/],
  ])('rejects bad input %#', (make, error) => {
    expect(make).toThrow(error);
  });
});
