import { CfnOutput, Duration, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { SageMakerInstanceType } from '../../lib/compute/sagemaker-instance-type';
import { JobS3Location } from '../../lib/data/job-s3-location';
import { IMlDataStore, MlDataStore } from '../../lib/data/ml-data-store';
import { ModelData } from '../../lib/hosting/model-data';
import { RealtimeEndpoint } from '../../lib/hosting/realtime-endpoint';
import { RoutingStrategy } from '../../lib/hosting/realtime-endpoint-options';
import { SageMakerModel } from '../../lib/hosting/sagemaker-model';
import { LargeModelImage } from '../../lib/images/large-model-image';
import { PromoteShadowStage } from '../../lib/stages/promote-shadow-stage';
import { SageMakerWorkflow } from '../../lib/workflows/sagemaker-workflow';

/**
 * Properties of the large-model reference stack.
 */
export interface SageMakerLargeModelStackProps extends StackProps {
  /**
   * The data store whose artifacts bucket holds the model files.
   *
   * @default - an MlDataStore is defined
   */
  readonly dataStore?: IMlDataStore;

  /**
   * The key prefix (ending in '/') of the production model's uncompressed files (weights,
   * tokenizer, config) in the artifacts bucket.
   *
   * @default 'llm/production/'
   */
  readonly productionModelPrefix?: string;

  /**
   * The key prefix (ending in '/') of the candidate model's files, tested in shadow.
   *
   * @default 'llm/candidate/'
   */
  readonly candidateModelPrefix?: string;
}

/**
 * A large language model on a real-time endpoint: the LMI container (DJL Serving with vLLM)
 * on a GPU instance, loading uncompressed files from an S3 prefix, with the long download and
 * start-up timeouts large models need and least-outstanding-requests routing. A candidate
 * model on the Hugging Face TGI container runs beside it as a shadow variant: it receives a
 * copy of half the requests, its responses captured and measured but never returned. The
 * promotion workflow makes the candidate the production model (blue/green, with the
 * endpoint's rollback alarms) once its metrics convince.
 *
 * Upload the model files under the two prefixes of the artifacts bucket before deploying.
 */
export class SageMakerLargeModelStack extends Stack {
  /** The endpoint. */
  public readonly endpoint: RealtimeEndpoint;
  /** The workflow that promotes the shadow variant. */
  public readonly promotion: SageMakerWorkflow;

  constructor(scope: Construct, id: string, props: SageMakerLargeModelStackProps = {}) {
    super(scope, id, props);
    const store = props.dataStore ?? new MlDataStore(this, 'DataStore');
    // The containers read the files SageMaker copied to /opt/ml/model.
    const production = new SageMakerModel(this, 'Production', {
      image: LargeModelImage.djlLmi('0.36.0'),
      modelData: ModelData.fromS3Prefix(store.artifactsBucket, props.productionModelPrefix ?? 'llm/production/'),
      environment: { HF_MODEL_ID: '/opt/ml/model', OPTION_ROLLING_BATCH: 'vllm', OPTION_MAX_MODEL_LEN: '4096', TENSOR_PARALLEL_DEGREE: '1' },
    });
    const candidate = new SageMakerModel(this, 'Candidate', {
      image: LargeModelImage.huggingFaceTgi('3.3.6'),
      modelData: ModelData.fromS3Prefix(store.artifactsBucket, props.candidateModelPrefix ?? 'llm/candidate/'),
      environment: { HF_MODEL_ID: '/opt/ml/model', SM_NUM_GPUS: '1', MAX_INPUT_TOKENS: '3072', MAX_TOTAL_TOKENS: '4096' },
    });
    const fleet = {
      // ml.g5 keeps its volumes on local NVMe, encrypted in hardware (no volume key).
      instanceType: SageMakerInstanceType.ML_G5_2XLARGE,
      initialInstanceCount: 1,
      modelDataDownloadTimeout: Duration.minutes(30),
      containerStartupHealthCheckTimeout: Duration.minutes(30),
      routingStrategy: RoutingStrategy.LEAST_OUTSTANDING_REQUESTS,
    };
    this.endpoint = new RealtimeEndpoint(this, 'Endpoint', {
      variants: [{ model: production, ...fleet }],
      shadowVariant: { model: candidate, ...fleet, samplingPercentage: 50 },
      dataCapture: { destination: JobS3Location.inBucket(store.artifactsBucket, 'llm-capture'), samplingPercentage: 10 },
      deployment: { maxModelLatency: Duration.seconds(30), maximumExecutionTimeout: Duration.hours(2) },
    });
    this.promotion = new SageMakerWorkflow(this, 'PromoteShadow', {
      description: 'Promotes the large-model endpoint\'s shadow variant to production',
      definition: new PromoteShadowStage(this, 'Promote', { endpoint: this.endpoint, pollInterval: Duration.minutes(1) }),
    });

    new CfnOutput(this, 'EndpointName', {
      value: this.endpoint.endpointName,
      description: 'aws sagemaker-runtime invoke-endpoint --endpoint-name <name> --content-type application/json --body \'{"inputs":"Hello"}\' out.json',
    });
    new CfnOutput(this, 'PromoteWorkflowArn', {
      value: this.promotion.stateMachine.stateMachineArn,
      description: 'Start to make the shadow variant\'s model the production model (compare the Shadow variant\'s ModelLatency and Invocation5XXErrors first)',
    });
  }
}
