import { ApiError, Integration, apiError } from './api';
import { LOCAL_ACCOUNT } from './assembly';
import { EndpointUpdateOutcome, LocalFaults } from './faults';

/** Properties of LocalInferenceComponents. */
export interface LocalInferenceComponentsProps {
  readonly region: string;
  readonly faults: LocalFaults;
  /** The models SageMaker knows (name -> CreateModel request), which a component must name. */
  readonly models: Map<string, any>;
  /**
   * How many DescribeInferenceComponent calls see a component Creating or Updating before it settles.
   *
   * @default 1
   */
  readonly describesUntilSettled?: number;
}

/** An inference component as SageMaker keeps it. */
export interface LocalInferenceComponent {
  name: string;
  arn: string;
  endpointName: string;
  variantName?: string;
  status: string;
  specification: any;
  pendingSpecification?: any;
  copyCount: number;
  deploymentConfig?: any;
  lastDeploymentConfig?: any;
  failureReason?: string;
  outcome?: EndpointUpdateOutcome;
  ticks: number;
  created: number;
  modified: number;
}

/**
 * SageMaker's inference components on one machine: records with SageMaker's status transitions
 * (Creating/Updating settle after `describesUntilSettled` describes). An update's ending follows
 * `LocalFaults.endpointUpdateOutcome` (the fault of endpoint updates, which a component deployment
 * does not make): ROLLBACK ends InService on the previous specification (a rollback alarm fired),
 * FAIL ends Failed with a reason, STUCK stays Updating. Requests arrive validated against the API
 * model; this checks what the model cannot (names in use, missing models and components, a busy
 * component).
 */
export class LocalInferenceComponents {
  /** The APIs served here (botocore names). */
  public static readonly APIS = ['CreateInferenceComponent', 'DescribeInferenceComponent', 'UpdateInferenceComponent', 'DeleteInferenceComponent'];

  public readonly components = new Map<string, LocalInferenceComponent>();
  private readonly props: LocalInferenceComponentsProps;

  constructor(props: LocalInferenceComponentsProps) {
    this.props = props;
  }

  /** Serves one API call. */
  public call(api: string, request: any, integration: Integration): any {
    switch (api) {
      case 'CreateInferenceComponent': return this.create(request, integration, false);
      case 'DescribeInferenceComponent': return this.describe(request, integration);
      case 'UpdateInferenceComponent': return this.update(request, integration);
      case 'DeleteInferenceComponent': {
        const c = this.find(api, request.InferenceComponentName, integration);
        Object.assign(c, { status: 'Deleting', ticks: 0, modified: Date.now() });
        return {};
      }
      default: throw new Error(`the local SageMaker does not serve ${api}`);
    }
  }

  /** Registers a component as if CloudFormation had created it: InService. */
  public register(request: any): void {
    this.create(request, Integration.AWS_SDK, true);
  }

  /**
   * The SageMaker runtime's InvokeEndpoint with `InferenceComponentName`: a component of that
   * endpoint, InService (or Updating, still serving its current model), answers with a body
   * naming its model; anything else is a ValidationError, as SageMaker answers.
   */
  public invoke(request: any, integration: Integration): any {
    const fail = (message: string) => apiError('sagemakerruntime', 'InvokeEndpoint', 'ValidationError', message, integration);
    const c = this.components.get(request.InferenceComponentName);
    if (!c || c.endpointName !== request.EndpointName) {
      throw fail(`Inference component ${request.InferenceComponentName} of endpoint ${request.EndpointName} of account ${LOCAL_ACCOUNT} not found.`);
    }
    if (c.status !== 'InService' && c.status !== 'Updating') throw fail(`Inference component ${c.name} is not InService (it is ${c.status}).`);
    return {
      ContentType: request.Accept ?? 'application/json',
      Body: JSON.stringify({
        endpoint: c.endpointName, inferenceComponent: c.name, model: c.specification.ModelName, received: String(request.Body).length,
      }),
    };
  }

  private arn(kind: string, name: string): string {
    return `arn:aws:sagemaker:${this.props.region}:${LOCAL_ACCOUNT}:${kind}/${name.toLowerCase()}`;
  }

  private error(api: string, message: string, integration: Integration): ApiError {
    return apiError('sagemaker', api, 'ValidationException', message, integration);
  }

  private find(api: string, name: string, integration: Integration): LocalInferenceComponent {
    const c = this.components.get(name);
    if (!c) throw this.error(api, `Could not find inference component "${this.arn('inference-component', name)}".`, integration);
    return c;
  }

  private checkModel(api: string, spec: any, integration: Integration): void {
    const model = spec?.ModelName;
    if (model !== undefined && !this.props.models.has(model)) throw this.error(api, `Could not find model "${this.arn('model', model)}".`, integration);
  }

  private create(request: any, integration: Integration, inService: boolean): any {
    const api = 'CreateInferenceComponent';
    const name = request.InferenceComponentName;
    if (this.components.has(name)) throw this.error(api, `Cannot create already existing inference component "${this.arn('inference-component', name)}".`, integration);
    if (!inService) this.checkModel(api, request.Specification, integration);
    const now = Date.now();
    this.components.set(name, {
      name,
      arn: this.arn('inference-component', name),
      endpointName: request.EndpointName,
      variantName: request.VariantName,
      status: inService ? 'InService' : 'Creating',
      specification: request.Specification ?? {},
      copyCount: request.RuntimeConfig?.CopyCount ?? 1,
      deploymentConfig: request.DeploymentConfig,
      ticks: 0,
      created: now,
      modified: now,
    });
    return { InferenceComponentArn: this.arn('inference-component', name) };
  }

  private update(request: any, integration: Integration): any {
    const api = 'UpdateInferenceComponent';
    const c = this.find(api, request.InferenceComponentName, integration);
    if (c.status !== 'InService') {
      throw this.error(api, `Cannot update inference component "${c.arn}" while it is ${c.status}.`, integration);
    }
    this.checkModel(api, request.Specification, integration);
    Object.assign(c, {
      status: 'Updating',
      pendingSpecification: request.Specification ? { ...c.specification, ...request.Specification } : c.specification,
      copyCount: request.RuntimeConfig?.CopyCount ?? c.copyCount,
      lastDeploymentConfig: request.DeploymentConfig,
      failureReason: undefined,
      outcome: this.props.faults.endpointUpdateOutcome,
      ticks: 0,
      modified: Date.now(),
    });
    return { InferenceComponentArn: c.arn };
  }

  private describe(request: any, integration: Integration): any {
    const api = 'DescribeInferenceComponent';
    const c = this.find(api, request.InferenceComponentName, integration);
    const until = this.props.describesUntilSettled ?? 1;
    if (c.status === 'Deleting' && c.ticks++ >= until) {
      this.components.delete(c.name);
      throw this.error(api, `Could not find inference component "${c.arn}".`, integration);
    }
    if ((c.status === 'Creating' || c.status === 'Updating') && c.outcome !== EndpointUpdateOutcome.STUCK && c.ticks++ >= until) {
      c.modified = Date.now();
      if (c.outcome === EndpointUpdateOutcome.FAIL) {
        c.status = 'Failed';
        c.failureReason = 'The new copies did not pass the ping health check (injected fault).';
      } else if (c.outcome === EndpointUpdateOutcome.ROLLBACK && c.status === 'Updating') {
        c.status = 'InService';
        c.failureReason = 'Update rolled back: a rollback alarm fired (injected fault).';
      } else {
        c.status = 'InService';
        if (c.pendingSpecification) c.specification = c.pendingSpecification;
      }
      c.pendingSpecification = undefined;
    }
    return {
      InferenceComponentName: c.name,
      InferenceComponentArn: c.arn,
      EndpointName: c.endpointName,
      EndpointArn: this.arn('endpoint', c.endpointName),
      ...(c.variantName ? { VariantName: c.variantName } : {}),
      ...(c.failureReason && c.status === 'Failed' ? { FailureReason: c.failureReason } : {}),
      Specification: c.specification,
      RuntimeConfig: { DesiredCopyCount: c.copyCount, CurrentCopyCount: c.status === 'InService' ? c.copyCount : 0 },
      CreationTime: c.created,
      LastModifiedTime: c.modified,
      InferenceComponentStatus: c.status,
      ...(c.lastDeploymentConfig ? { LastDeploymentConfig: c.lastDeploymentConfig } : {}),
    };
  }
}
