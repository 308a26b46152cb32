import { Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { IInferenceEndpoint, InferenceEndpointBase } from './inference-endpoint';
import { endpointArnOf } from './private/endpoint-arn';
import { ImportedEndpoint } from './private/imported-endpoint';
import { ISageMakerModel } from './sagemaker-model';
import { fail, validateIn, validateInteger } from '../private/validate';
import { generatedEndpointName } from './private/variants';

/**
 * Properties of a ServerlessEndpoint.
 */
export interface ServerlessEndpointProps {
  /** The model served. */
  readonly model: ISageMakerModel;

  /**
   * The memory of each invocation's container, in MB: 1024 to 6144 in steps of 1024.
   *
   * @default 2048
   */
  readonly memorySizeInMB?: number;

  /**
   * The most concurrent invocations: 1 to 200.
   *
   * @default 20
   */
  readonly maxConcurrency?: number;

  /**
   * Invocations kept warm (no cold start), billed while provisioned; at most `maxConcurrency`.
   *
   * @default - none
   */
  readonly provisionedConcurrency?: number;

  /**
   * The endpoint's name.
   *
   * @default - a name unique to this construct, generated at synth
   */
  readonly endpointName?: string;

  /**
   * The key of the endpoint configuration: for a serverless endpoint SageMaker encrypts with it
   * the copy of the container image it keeps.
   *
   * @default - a key with rotation
   */
  readonly encryptionKey?: kms.IKey;
}

/**
 * A serverless endpoint: no instances to choose or pay for while idle; SageMaker scales
 * with traffic. It takes no instance type; its configuration's key encrypts the copy of the
 * image SageMaker keeps for it.
 */
export class ServerlessEndpoint extends InferenceEndpointBase {
  /** Imports a serverless endpoint by name, for its metrics and invoke grants. */
  public static fromEndpointName(scope: Construct, id: string, endpointName: string): IInferenceEndpoint {
    return new ImportedEndpoint(scope, id, endpointName, false);
  }

  public readonly endpointName: string;
  public readonly endpointArn: string;
  /** The endpoint configuration's name (generated). */
  public readonly endpointConfigName: string;
  protected readonly defaultVariantName = 'AllTraffic';

  constructor(scope: Construct, id: string, props: ServerlessEndpointProps) {
    super(scope, id);
    const memory = props.memorySizeInMB ?? 2048;
    const maxConcurrency = props.maxConcurrency ?? 20;
    validateIn(this, () => {
      if (!Token.isUnresolved(memory) && (!Number.isInteger(memory) || memory % 1024 !== 0 || memory < 1024 || memory > 6144)) {
        fail(`memorySizeInMB must be a multiple of 1024 between 1024 and 6144, got ${memory}`);
      }
      validateInteger('maxConcurrency', maxConcurrency, 1, 200);
      if (props.provisionedConcurrency !== undefined) {
        validateInteger('provisionedConcurrency', props.provisionedConcurrency, 1, 200);
        const provisioned = props.provisionedConcurrency;
        if (!Token.isUnresolved(provisioned) && !Token.isUnresolved(maxConcurrency) && provisioned > maxConcurrency) {
          fail(`provisionedConcurrency must be at most maxConcurrency (${maxConcurrency}), got ${props.provisionedConcurrency}`);
        }
      }
    });
    this.endpointName = generatedEndpointName(this, props.endpointName);
    this.endpointArn = endpointArnOf(this, this.endpointName);

    const config = new sagemaker.CfnEndpointConfig(this, 'Config', {
      productionVariants: [{
        variantName: this.defaultVariantName,
        modelName: props.model.modelName,
        serverlessConfig: { memorySizeInMb: memory, maxConcurrency, provisionedConcurrency: props.provisionedConcurrency },
      }],
      kmsKeyId: (props.encryptionKey ?? new kms.Key(this, 'Key', { description: 'Encrypts the serverless endpoint\'s copy of its image', enableKeyRotation: true })).keyArn,
    });
    this.endpointConfigName = config.attrEndpointConfigName;
    new sagemaker.CfnEndpoint(this, 'Resource', { endpointName: this.endpointName, endpointConfigName: config.attrEndpointConfigName });
  }

  /** The time to launch compute for a cold start, in microseconds (`ModelSetupTime`, average). */
  public metricModelSetupTime(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('ModelSetupTime', { statistic: 'Average', ...props });
  }
}
