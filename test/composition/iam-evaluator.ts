import { runSimulation } from '@cloud-copilot/iam-simulate';

/**
 * Evaluates run-time calls against a synthesized template's IAM: identity policies of a role
 * (inline, customer managed) and the resource policies of keys, topics and buckets. References
 * resolve to concrete names derived from logical IDs, so a call names the same ARN the policy
 * does when (and only when) it is about the same resource.
 */

export const ACCOUNT = '123456789012';

type Template = { Resources: Record<string, { Type: string; Properties?: any }>; Mappings?: any };

export class TemplateIam {
  private readonly resources: Template['Resources'];

  constructor(private readonly template: Template, public readonly region: string) {
    this.resources = template.Resources;
  }

  /** The concrete value of a template expression. */
  public resolve(value: any): any {
    if (Array.isArray(value)) return value.map(v => this.resolve(v));
    if (value === null || typeof value !== 'object') return value;
    const keys = Object.keys(value);
    if (keys.length === 1) {
      const [k] = keys;
      const v = value[k];
      switch (k) {
        case 'Ref': return this.ref(v);
        case 'Fn::GetAtt': return this.getAtt(...(typeof v === 'string' ? v.split('.') as [string, string] : v as [string, string]));
        case 'Fn::Join': return (this.resolve(v[1]) as any[]).join(v[0]);
        case 'Fn::Select': return this.resolve(v[1])[Number(this.resolve(v[0]))];
        case 'Fn::Split': return String(this.resolve(v[1])).split(v[0]);
        case 'Fn::GetAZs': return ['a', 'b', 'c'].map(z => `${this.region}${z}`);
        case 'Fn::FindInMap': {
          const [map, top, second] = this.resolve(v);
          return this.template.Mappings?.[map]?.[top]?.[second];
        }
        case 'Fn::Sub': {
          const [text, vars] = typeof v === 'string' ? [v, {}] : v;
          return text.replace(/\$\{([^}]+)\}/g, (_: string, name: string) => {
            if (vars[name] !== undefined) return this.resolve(vars[name]);
            const [id, attr] = name.split('.');
            return attr ? this.getAtt(id, attr) : this.ref(id);
          });
        }
        case 'Fn::If': return this.resolve(v[1]);
        default: break;
      }
    }
    return Object.fromEntries(keys.map(k => [k, this.resolve(value[k])]));
  }

  private ref(id: string): string {
    switch (id) {
      case 'AWS::Partition': return 'aws';
      case 'AWS::Region': return this.region;
      case 'AWS::AccountId': return ACCOUNT;
      case 'AWS::URLSuffix': return 'amazonaws.com';
      case 'AWS::StackName': return 'stack';
      case 'AWS::NoValue': return undefined as any;
      default: break;
    }
    const type = this.resources[id]?.Type;
    switch (type) {
      case 'AWS::S3::Bucket': return id.toLowerCase();
      case 'AWS::SNS::Topic': return `arn:aws:sns:${this.region}:${ACCOUNT}:${id}`;
      case 'AWS::SQS::Queue': return `https://sqs.${this.region}.amazonaws.com/${ACCOUNT}/${id}`;
      case 'AWS::IAM::ManagedPolicy': return `arn:aws:iam::${ACCOUNT}:policy/${id}`;
      case 'AWS::SageMaker::Model': return `arn:aws:sagemaker:${this.region}:${ACCOUNT}:model/${id.toLowerCase()}`;
      case 'AWS::SageMaker::Endpoint': return `arn:aws:sagemaker:${this.region}:${ACCOUNT}:endpoint/${id.toLowerCase()}`;
      case 'AWS::StepFunctions::StateMachine': return `arn:aws:states:${this.region}:${ACCOUNT}:stateMachine:${id}`;
      case 'AWS::EFS::FileSystem': case 'AWS::FSx::FileSystem': return `fs-${id.toLowerCase().slice(0, 17)}`;
      default: return this.resources[id]?.Properties?.Name ?? id;
    }
  }

  private getAtt(id: string, attr: string): string {
    const type = this.resources[id]?.Type;
    if (attr === 'Arn') {
      switch (type) {
        case 'AWS::IAM::Role': return `arn:aws:iam::${ACCOUNT}:role/${id}`;
        case 'AWS::KMS::Key': return `arn:aws:kms:${this.region}:${ACCOUNT}:key/${id}`;
        case 'AWS::S3::Bucket': return `arn:aws:s3:::${id.toLowerCase()}`;
        case 'AWS::SQS::Queue': return `arn:aws:sqs:${this.region}:${ACCOUNT}:${id}`;
        case 'AWS::Logs::LogGroup': return `arn:aws:logs:${this.region}:${ACCOUNT}:log-group:${id}:*`;
        case 'AWS::EFS::FileSystem': return `arn:aws:elasticfilesystem:${this.region}:${ACCOUNT}:file-system/${this.ref(id)}`;
        default: return `arn:aws:unknown:${this.region}:${ACCOUNT}:${id}`;
      }
    }
    switch (`${type}.${attr}`) {
      case 'AWS::SageMaker::Model.ModelName': return id.toLowerCase();
      case 'AWS::SageMaker::Domain.DomainId': return `d-${id.toLowerCase().slice(0, 12)}`;
      case 'AWS::SageMaker::Domain.DomainArn': return `arn:aws:sagemaker:${this.region}:${ACCOUNT}:domain/${this.getAtt(id, 'DomainId')}`;
      case 'AWS::SageMaker::MlflowTrackingServer.TrackingServerArn':
        return `arn:aws:sagemaker:${this.region}:${ACCOUNT}:mlflow-tracking-server/${this.resources[id].Properties.TrackingServerName}`;
      case 'AWS::SageMaker::EndpointConfig.EndpointConfigName': return id.toLowerCase();
      default: return `${id}.${attr}`;
    }
  }

  /** The logical ID of the one role whose ID starts with `prefix` (construct path without separators). */
  public role(prefix: string): string {
    const ids = Object.keys(this.resources).filter(id => this.resources[id].Type === 'AWS::IAM::Role' && id.startsWith(prefix));
    if (ids.length !== 1) throw new Error(`expected one role '${prefix}*', found ${ids.join(', ') || 'none'}`);
    return ids[0];
  }

  /** The ARN of the one resource of `type` whose logical ID starts with `prefix`. */
  public arnOf(type: string, prefix: string, attr = 'Arn'): string {
    const ids = Object.keys(this.resources).filter(id => this.resources[id].Type === type && id.startsWith(prefix));
    if (ids.length !== 1) throw new Error(`expected one ${type} '${prefix}*', found ${ids.join(', ') || 'none'}`);
    return type === 'AWS::SNS::Topic' || type === 'AWS::S3::Bucket' ? this.ref(ids[0]) : this.getAtt(ids[0], attr);
  }

  public identityPolicies(roleId: string): { name: string; policy: any }[] {
    const attached = (roles: any[] | undefined) => (roles ?? []).some(r => r?.Ref === roleId);
    const policies = Object.entries(this.resources)
      .filter(([, r]) => (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') && attached(r.Properties?.Roles))
      .map(([id, r]) => ({ name: id, policy: this.resolve(r.Properties.PolicyDocument) }));
    const inline = (this.resources[roleId].Properties?.Policies ?? [])
      .map((p: any) => ({ name: p.PolicyName, policy: this.resolve(p.PolicyDocument) }));
    return [...policies, ...inline];
  }

  /** The resource policy that governs `arn`, if the template defines one. */
  public resourcePolicy(arn: string): any {
    for (const [id, r] of Object.entries(this.resources)) {
      if (r.Type === 'AWS::KMS::Key' && arn === this.getAtt(id, 'Arn')) return this.resolve(r.Properties.KeyPolicy);
      if (r.Type === 'AWS::SNS::TopicPolicy' && this.resolve(r.Properties.Topics).includes(arn)) return this.resolve(r.Properties.PolicyDocument);
      if (r.Type === 'AWS::S3::BucketPolicy' && arn.startsWith(`arn:aws:s3:::${this.resolve(r.Properties.Bucket)}`)) {
        return this.resolve(r.Properties.PolicyDocument);
      }
    }
    return undefined;
  }

  /** The body of the one state machine whose logical ID starts with `prefix`, as its template holds it (unresolved). */
  public definitionOf(prefix: string): string {
    const ids = Object.keys(this.resources).filter(id => this.resources[id].Type === 'AWS::StepFunctions::StateMachine' && id.startsWith(prefix));
    if (ids.length !== 1) throw new Error(`expected one state machine '${prefix}*', found ${ids.join(', ') || 'none'}`);
    return JSON.stringify(this.resources[ids[0]].Properties.DefinitionString);
  }

  /**
   * 'Allowed', or why not. `roleId` is a role's logical ID, or a service principal
   * (`events.amazonaws.com`): a service has no identity policy, only the resource policy counts.
   */
  public async evaluate(roleId: string, action: string, resource: string, context: Record<string, string | string[]> = {}): Promise<string> {
    const service = roleId.endsWith('.amazonaws.com');
    const result = await runSimulation({
      request: {
        principal: service ? roleId : `arn:aws:iam::${ACCOUNT}:role/${roleId}`,
        action,
        resource: { resource, accountId: ACCOUNT },
        contextVariables: { 'aws:SecureTransport': 'true', ...context },
      },
      identityPolicies: service ? [] : this.identityPolicies(roleId),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: this.resourcePolicy(resource),
    }, {});
    if (result.resultType === 'error') return `error: ${JSON.stringify(result.errors)}`;
    return result.overallResult;
  }
}
