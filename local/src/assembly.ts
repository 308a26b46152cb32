import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { optimizedFieldProblems } from './optimized-fields';

/** The stand-in account of every local run. */
export const LOCAL_ACCOUNT = '123456789012';
/** The Region of a stack synthesized without one. */
export const DEFAULT_REGION = 'us-east-1';

/** A stack of a cloud assembly, its template and where it runs. */
export interface AssemblyStack {
  readonly stackName: string;
  readonly template: any;
  readonly region: string;
  /** The stack's explicit account (`env.account`), if it has one: its events and buses are that account's. */
  readonly account?: string;
  /** Logical ID -> construct path, from the stack's metadata (templates may omit `aws:cdk:path`). */
  readonly paths: Record<string, string>;
}

/** A file the CDK publishes to S3 at deploy time (an asset), where it lands and where it is now. */
export interface FileAsset {
  readonly bucket: string;
  readonly key: string;
  readonly source: string;
  readonly packaging: string;
}

/** A Docker image asset: the image URI it gets at deploy time and its build directory. */
export interface ImageAsset {
  readonly imageUri: string;
  readonly directory: string;
}

/**
 * A cloud assembly (`cdk.out`) read for a local run: its stacks, their templates with
 * CloudFormation's intrinsic functions resolved to consistent stand-in values, and the
 * assets the deployment would publish.
 */
export class LocalAssembly {
  /** Reads the cloud assembly in `directory`. */
  public static fromDirectory(directory: string): LocalAssembly {
    const manifestFile = path.join(directory, 'manifest.json');
    if (!fs.existsSync(manifestFile)) {
      throw new Error(`no cloud assembly at '${directory}': it has no manifest.json (synthesize the app with 'npx cdk synth -o ${directory}')`);
    }
    const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
    const stacks: AssemblyStack[] = [];
    const assetFiles: string[] = [];
    const visit = (dir: string, man: any) => {
      for (const [id, artifact] of Object.entries<any>(man.artifacts ?? {})) {
        if (artifact.type === 'aws:cloudformation:stack') {
          const env = /^aws:\/\/[^/]+\/(.+)$/.exec(artifact.environment ?? '');
          const region = env && !env[1].startsWith('unknown') ? env[1] : DEFAULT_REGION;
          const account = /^aws:\/\/(\d{12})\//.exec(artifact.environment ?? '')?.[1];
          const metadata = { ...artifact.metadata };
          if (artifact.additionalMetadataFile && fs.existsSync(path.join(dir, artifact.additionalMetadataFile))) {
            Object.assign(metadata, JSON.parse(fs.readFileSync(path.join(dir, artifact.additionalMetadataFile), 'utf8')));
          }
          const paths: Record<string, string> = {};
          for (const [constructPath, entries] of Object.entries<any[]>(metadata)) {
            const logical = entries.find(e => e.type === 'aws:cdk:logicalId');
            if (logical) paths[logical.data] = constructPath.replace(/^\//, '');
          }
          stacks.push({
            stackName: artifact.properties?.stackName ?? artifact.displayName ?? id,
            template: JSON.parse(fs.readFileSync(path.join(dir, artifact.properties.templateFile), 'utf8')),
            region,
            account,
            paths,
          });
        } else if (artifact.type === 'cdk:asset-manifest') {
          assetFiles.push(path.join(dir, artifact.properties.file));
        } else if (artifact.type === 'cdk:cloud-assembly') {
          const nested = path.join(dir, artifact.properties.directoryName);
          visit(nested, JSON.parse(fs.readFileSync(path.join(nested, 'manifest.json'), 'utf8')));
        }
      }
    };
    visit(directory, manifest);
    return new LocalAssembly(stacks, assetFiles);
  }

  /** The stacks, by name. */
  public readonly stacks: ReadonlyMap<string, AssemblyStack>;
  private readonly assetManifests: string[];

  private constructor(stacks: AssemblyStack[], assetManifests: string[]) {
    this.stacks = new Map(stacks.map(s => [s.stackName, s]));
    this.assetManifests = assetManifests;
  }

  /** A stack, or an error listing the stacks there are. */
  public stack(name: string): AssemblyStack {
    const stack = this.stacks.get(name);
    if (!stack) throw new Error(`no stack '${name}' in the cloud assembly; stacks: ${[...this.stacks.keys()].join(', ') || 'none'}`);
    return stack;
  }

  /** A resolver of the stack's intrinsic functions. */
  public resolver(stackName: string): TemplateResolver {
    return new TemplateResolver(this, this.stack(stackName));
  }

  /** The file assets of the whole assembly, at their resolved S3 destinations. */
  public fileAssets(): FileAsset[] {
    return this.assetManifests.flatMap(file => {
      const manifest = JSON.parse(fs.readFileSync(file, 'utf8'));
      return Object.values<any>(manifest.files ?? {}).flatMap(asset => Object.values<any>(asset.destinations).map(d => ({
        bucket: substitutePseudo(d.bucketName, d.region ?? DEFAULT_REGION),
        key: d.objectKey,
        source: path.resolve(path.dirname(file), asset.source.path ?? ''),
        packaging: asset.source.packaging ?? 'file',
      })));
    });
  }

  /** The Docker image assets of the whole assembly, by the image URI they get at deploy time. */
  public imageAssets(): ImageAsset[] {
    return this.assetManifests.flatMap(file => {
      const manifest = JSON.parse(fs.readFileSync(file, 'utf8'));
      return Object.values<any>(manifest.dockerImages ?? {}).flatMap(asset => Object.values<any>(asset.destinations).map(d => {
        const region = d.region ?? DEFAULT_REGION;
        return {
          imageUri: `${LOCAL_ACCOUNT}.dkr.ecr.${region}.amazonaws.com/${substitutePseudo(d.repositoryName, region)}:${d.imageTag}`,
          directory: path.resolve(path.dirname(file), asset.source.directory ?? ''),
        };
      }));
    });
  }
}

function substitutePseudo(text: string, region: string): string {
  return text.replace(/\$\{AWS::AccountId\}/g, LOCAL_ACCOUNT).replace(/\$\{AWS::Region\}/g, region)
    .replace(/\$\{AWS::Partition\}/g, 'aws').replace(/\$\{AWS::URLSuffix\}/g, 'amazonaws.com');
}

const SERVICE_OF_TYPE: Record<string, string> = {
  'AWS::StepFunctions::StateMachine': 'states', 'AWS::Logs::LogGroup': 'logs', 'AWS::Events::Rule': 'events', 'AWS::Lambda::Function': 'lambda',
};

/**
 * Resolves CloudFormation intrinsic functions (Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select,
 * Fn::Split, Fn::If, Fn::Equals, Fn::FindInMap, Fn::GetStackOutput, Fn::ImportValue, pseudo
 * parameters) with stand-in values that are consistent across a run: the same resource always
 * gets the same physical name, and ARNs have the format of the real ones.
 */
export class TemplateResolver {
  public readonly stack: AssemblyStack;
  private readonly assembly: LocalAssembly;

  constructor(assembly: LocalAssembly, stack: AssemblyStack) {
    this.assembly = assembly;
    this.stack = stack;
  }

  /** The template's resources. */
  public get resources(): Record<string, any> {
    return this.stack.template.Resources ?? {};
  }

  /** A value with every intrinsic function resolved. */
  public resolve(value: any): any {
    if (Array.isArray(value)) return value.map(v => this.resolve(v));
    if (value === null || typeof value !== 'object') return value;
    const keys = Object.keys(value);
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'))) return this.intrinsic(keys[0], value[keys[0]]);
    return Object.fromEntries(keys.map(k => [k, this.resolve(value[k])]));
  }

  /** The physical name a resource gets (a stand-in, unless the template names it). */
  public physicalName(logicalId: string): string {
    const resource = this.resource(logicalId);
    const p = resource.Properties ?? {};
    const explicit = {
      'AWS::S3::Bucket': p.BucketName,
      'AWS::SNS::Topic': p.TopicName,
      'AWS::IAM::Role': p.RoleName,
      'AWS::SageMaker::Model': p.ModelName,
      'AWS::SageMaker::Endpoint': p.EndpointName,
      'AWS::SageMaker::EndpointConfig': p.EndpointConfigName,
      'AWS::StepFunctions::StateMachine': p.StateMachineName,
      'AWS::Logs::LogGroup': p.LogGroupName,
      'AWS::Events::Rule': p.Name,
      'AWS::Events::EventBus': p.Name,
    }[resource.Type as string];
    if (explicit !== undefined) return String(this.resolve(explicit));
    // CloudFormation's generated names: <stack>-<logical id>-<suffix>; buckets are lowercase.
    const suffix = crypto.createHash('sha256').update(`${this.stack.stackName}/${logicalId}`).digest('hex').slice(0, 12);
    const name = `${this.stack.stackName}-${logicalId}`.slice(0, 50) + `-${suffix}`;
    return resource.Type === 'AWS::S3::Bucket' ? name.toLowerCase() : name;
  }

  /** The ARN of a resource. */
  public arnOf(logicalId: string): string {
    const resource = this.resource(logicalId);
    const name = this.physicalName(logicalId);
    const { region } = this.stack;
    switch (resource.Type) {
      case 'AWS::S3::Bucket': return `arn:aws:s3:::${name}`;
      case 'AWS::SNS::Topic': return `arn:aws:sns:${region}:${LOCAL_ACCOUNT}:${name}`;
      case 'AWS::IAM::Role': return `arn:aws:iam::${LOCAL_ACCOUNT}:role/${name}`;
      case 'AWS::IAM::ManagedPolicy': return `arn:aws:iam::${LOCAL_ACCOUNT}:policy/${name}`;
      case 'AWS::KMS::Key': return `arn:aws:kms:${region}:${LOCAL_ACCOUNT}:key/${this.keyId(logicalId)}`;
      case 'AWS::SageMaker::Model': return `arn:aws:sagemaker:${region}:${LOCAL_ACCOUNT}:model/${name.toLowerCase()}`;
      case 'AWS::SageMaker::Endpoint': return `arn:aws:sagemaker:${region}:${LOCAL_ACCOUNT}:endpoint/${name.toLowerCase()}`;
      case 'AWS::SageMaker::EndpointConfig': return `arn:aws:sagemaker:${region}:${LOCAL_ACCOUNT}:endpoint-config/${name.toLowerCase()}`;
      case 'AWS::SageMaker::MlflowTrackingServer': return `arn:aws:sagemaker:${region}:${LOCAL_ACCOUNT}:mlflow-tracking-server/${name.toLowerCase()}`;
      case 'AWS::StepFunctions::StateMachine': return `arn:aws:states:${region}:${LOCAL_ACCOUNT}:stateMachine:${name}`;
      case 'AWS::Logs::LogGroup': return `arn:aws:logs:${region}:${LOCAL_ACCOUNT}:log-group:${name}:*`;
      case 'AWS::Events::Rule': return `arn:aws:events:${region}:${LOCAL_ACCOUNT}:rule/${name}`;
      case 'AWS::Lambda::Function': return `arn:aws:lambda:${region}:${LOCAL_ACCOUNT}:function:${name}`;
      default: {
        const service = SERVICE_OF_TYPE[resource.Type] ?? resource.Type.split('::')[1].toLowerCase();
        return `arn:aws:${service}:${region}:${LOCAL_ACCOUNT}:${resource.Type.split('::')[2].toLowerCase()}/${name}`;
      }
    }
  }

  private keyId(logicalId: string): string {
    const h = crypto.createHash('sha256').update(`${this.stack.stackName}/${logicalId}`).digest('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
  }

  private resource(logicalId: string): any {
    const resource = this.resources[logicalId];
    if (!resource) throw new Error(`stack ${this.stack.stackName} has no resource '${logicalId}'`);
    return resource;
  }

  private ref(name: string): any {
    const { region } = this.stack;
    const pseudo: Record<string, any> = {
      'AWS::AccountId': LOCAL_ACCOUNT,
      'AWS::Region': region,
      'AWS::Partition': 'aws',
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::StackName': this.stack.stackName,
      'AWS::NoValue': undefined,
      'AWS::StackId': `arn:aws:cloudformation:${region}:${LOCAL_ACCOUNT}:stack/${this.stack.stackName}/00000000-0000-0000-0000-000000000000`,
      'AWS::NotificationARNs': [],
    };
    if (name in pseudo) return pseudo[name];
    const parameter = this.stack.template.Parameters?.[name];
    if (parameter) {
      if (parameter.Type.startsWith('AWS::SSM::Parameter::Value')) return `ssm:${parameter.Default}`;
      return parameter.Default ?? '';
    }
    const resource = this.resource(name);
    switch (resource.Type) {
      case 'AWS::SNS::Topic': case 'AWS::SageMaker::Model': case 'AWS::SageMaker::Endpoint': case 'AWS::SageMaker::EndpointConfig':
      case 'AWS::StepFunctions::StateMachine': case 'AWS::IAM::ManagedPolicy':
        return this.arnOf(name);
      case 'AWS::KMS::Key': return this.keyId(name);
      default: return this.physicalName(name);
    }
  }

  private getAtt(logicalId: string, attribute: string): any {
    const resource = this.resource(logicalId);
    const name = this.physicalName(logicalId);
    if (attribute === 'Arn' || attribute.endsWith('Arn')) return this.arnOf(logicalId);
    if (/Name$/.test(attribute)) return name;
    if (resource.Type === 'AWS::S3::Bucket') {
      if (attribute === 'DomainName') return `${name}.s3.amazonaws.com`;
      if (attribute === 'RegionalDomainName') return `${name}.s3.${this.stack.region}.amazonaws.com`;
    }
    if (attribute === 'KeyId') return this.keyId(logicalId);
    return `${name}.${attribute}`;
  }

  private condition(name: string): boolean {
    const condition = this.stack.template.Conditions?.[name];
    if (condition === undefined) throw new Error(`stack ${this.stack.stackName} has no condition '${name}'`);
    return Boolean(this.resolve(condition));
  }

  private intrinsic(fn: string, arg: any): any {
    switch (fn) {
      case 'Ref': return this.ref(arg);
      case 'Fn::GetAtt': {
        const [id, attribute] = Array.isArray(arg) ? arg : String(arg).split(/\.(.+)/);
        return this.getAtt(id, this.resolve(attribute));
      }
      case 'Fn::Join': {
        const [sep, parts] = arg;
        return (this.resolve(parts) as any[]).filter(p => p !== undefined).join(sep);
      }
      case 'Fn::Sub': {
        const [text, vars] = Array.isArray(arg) ? arg : [arg, {}];
        const values = this.resolve(vars ?? {});
        return String(text).replace(/\$\{([^}!]+)\}/g, (_m, name: string) => {
          if (name in values) return String(values[name]);
          if (name.includes('.') && !name.startsWith('AWS::')) {
            const [id, attribute] = name.split(/\.(.+)/);
            return String(this.getAtt(id, attribute));
          }
          return String(this.ref(name));
        });
      }
      case 'Fn::Select': {
        const [index, list] = this.resolve(arg);
        return list[Number(index)];
      }
      case 'Fn::Split': {
        const [sep, text] = this.resolve(arg);
        return String(text).split(sep);
      }
      case 'Fn::Equals': {
        const [a, b] = this.resolve(arg);
        return JSON.stringify(a) === JSON.stringify(b);
      }
      case 'Fn::If': {
        const [name, yes, no] = arg;
        return this.condition(name) ? this.resolve(yes) : this.resolve(no);
      }
      case 'Fn::Not': return !this.resolve(arg[0]);
      case 'Fn::And': return (arg as any[]).every(c => this.resolve(c));
      case 'Fn::Or': return (arg as any[]).some(c => this.resolve(c));
      case 'Condition': return this.condition(arg);
      case 'Fn::FindInMap': {
        const [map, top, second] = this.resolve(arg);
        const value = this.stack.template.Mappings?.[map]?.[top]?.[second];
        if (value === undefined) throw new Error(`stack ${this.stack.stackName}: Fn::FindInMap found nothing at ${map}.${top}.${second}`);
        return value;
      }
      case 'Fn::GetAZs': return ['a', 'b', 'c'].map(z => `${this.stack.region}${z}`);
      case 'Fn::Base64': return Buffer.from(String(this.resolve(arg))).toString('base64');
      case 'Fn::GetStackOutput': {
        const { StackName, OutputName } = this.resolve(arg);
        const other = this.assembly.resolver(StackName);
        const output = other.stack.template.Outputs?.[OutputName];
        if (!output) throw new Error(`stack ${StackName} has no output '${OutputName}' (referenced by ${this.stack.stackName})`);
        return other.resolve(output.Value);
      }
      case 'Fn::ImportValue': {
        const exportName = this.resolve(arg);
        for (const stack of this.assembly.stacks.values()) {
          const resolver = this.assembly.resolver(stack.stackName);
          for (const output of Object.values<any>(stack.template.Outputs ?? {})) {
            if (output.Export && resolver.resolve(output.Export.Name) === exportName) return resolver.resolve(output.Value);
          }
        }
        throw new Error(`no stack of the cloud assembly exports '${exportName}' (imported by ${this.stack.stackName})`);
      }
      default: throw new Error(`stack ${this.stack.stackName}: the local runtime does not resolve ${fn}`);
    }
  }
}

/** A state machine of a stack, found by `<stack>/<construct path>`. */
export interface StateMachineResource {
  readonly stackName: string;
  readonly logicalId: string;
  readonly path: string;
  readonly arn: string;
  readonly name: string;
  readonly definition: any;
}

function constructPathOf(stack: AssemblyStack, logicalId: string, resource: any): string {
  return (resource.Metadata?.['aws:cdk:path'] ?? stack.paths[logicalId] ?? `${stack.stackName}/${logicalId}`).replace(/\/Resource$/, '');
}

/** Every state machine of the assembly, as `<stack>/<construct path>`. */
export function stateMachinePaths(assembly: LocalAssembly): string[] {
  return [...assembly.stacks.values()].flatMap(stack => Object.entries<any>(stack.template.Resources ?? {})
    .filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine')
    .map(([id, r]) => constructPathOf(stack, id, r)));
}

/**
 * Finds a state machine by `<stack>/<construct path>` (the `/Resource` suffix may be left out;
 * a stack name alone is enough when the stack has one state machine) and resolves its definition.
 */
export function findStateMachine(assembly: LocalAssembly, selector: string): StateMachineResource {
  const wanted = selector.replace(/\/+$/, '').replace(/\/Resource$/, '');
  const candidates: StateMachineResource[] = [];
  for (const stack of assembly.stacks.values()) {
    for (const [id, r] of Object.entries<any>(stack.template.Resources ?? {})) {
      if (r.Type !== 'AWS::StepFunctions::StateMachine') continue;
      const p = constructPathOf(stack, id, r);
      if (p === wanted || `${stack.stackName}/${id}` === wanted || (stack.stackName === wanted)) {
        const resolver = assembly.resolver(stack.stackName);
        const name = resolver.physicalName(id);
        candidates.push({ stackName: stack.stackName, logicalId: id, path: p, arn: resolver.arnOf(id), name, definition: undefined });
      }
    }
  }
  const exact = candidates.filter(c => c.path === wanted || `${c.stackName}/${c.logicalId}` === wanted);
  const chosen = exact.length === 1 ? exact : candidates;
  if (chosen.length !== 1) {
    const all = stateMachinePaths(assembly);
    throw new Error(chosen.length === 0
      ? `no state machine '${selector}' in the cloud assembly; state machines: ${all.join(', ') || 'none'}`
      : `'${selector}' names ${chosen.length} state machines; name one: ${chosen.map(c => c.path).join(', ')}`);
  }
  const found = chosen[0];
  const resolver = assembly.resolver(found.stackName);
  const props = resolver.resources[found.logicalId].Properties;
  let text: string;
  if (props.DefinitionString !== undefined) text = resolver.resolve(props.DefinitionString);
  else if (props.Definition !== undefined) text = JSON.stringify(resolver.resolve(props.Definition));
  else throw new Error(`state machine ${found.path} has its definition in S3 (DefinitionS3Location), which the local runtime does not read`);
  const substitutions = resolver.resolve(props.DefinitionSubstitutions ?? {});
  text = text.replace(/\$\{([^}]+)\}/g, (m, name: string) => name in substitutions ? String(substitutions[name]) : m);
  const definition = JSON.parse(text);
  // Step Functions refuses such a definition when the state machine is created (CreateStateMachine).
  const problems = optimizedFieldProblems(definition.States);
  if (problems.length) {
    throw new Error(`state machine ${found.path}: Invalid State Machine Definition: '${problems.join(', ')}' (Step Functions would refuse it at deploy)`);
  }
  return { ...found, definition };
}
