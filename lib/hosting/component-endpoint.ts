import { Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { IInferenceEndpoint, InferenceEndpointBase } from './inference-endpoint';
import { endpointArnOf } from './private/endpoint-arn';
import { acknowledgeNoKeyForInstanceStorage, generatedEndpointName, volumeKeyFor } from './private/variants';
import { RoutingStrategy } from './realtime-endpoint-options';
import { SageMakerInstanceType } from '../compute/sagemaker-instance-type';
import { instanceTypeName } from '../private/instance-types';
import { fail, validateIn, validateInteger, validateLength, validatePattern } from '../private/validate';
import { SageMakerExecutionRole } from '../roles/sagemaker-execution-role';

/**
 * A real-time endpoint whose instances host inference components (models with their own
 * compute reservation, copy count and scaling): what a component needs to know of it.
 */
export interface IComponentEndpoint extends IInferenceEndpoint {
  /** The production variant that hosts the components. */
  readonly variantName: string;
  /** The variant's instance type, which a component's reservation must fit. */
  readonly instanceType: SageMakerInstanceType;
  /**
   * The fewest instances managed instance scaling keeps: 0 lets the endpoint scale to zero when
   * no component has a copy.
   */
  readonly minInstanceCount: number;
}

/**
 * Attributes of a component endpoint defined elsewhere.
 */
export interface ComponentEndpointAttributes {
  /** The endpoint's name. */
  readonly endpointName: string;
  /** The variant's instance type. */
  readonly instanceType: SageMakerInstanceType;
  /**
   * The production variant that hosts the components.
   *
   * @default 'AllTraffic'
   */
  readonly variantName?: string;
  /**
   * The fewest instances of its managed instance scaling.
   *
   * @default 1
   */
  readonly minInstanceCount?: number;
}

/**
 * Properties of a ComponentEndpoint.
 */
export interface ComponentEndpointProps {
  /** The instance type every instance of the endpoint has (e.g. `SageMakerInstanceType.ML_G5_XLARGE`). */
  readonly instanceType: SageMakerInstanceType;

  /**
   * The fewest instances managed instance scaling keeps. 0 lets the endpoint scale to zero
   * instances when its components have no copy (components with `autoScaling.minCopies: 0`).
   *
   * @default 1
   */
  readonly minInstanceCount?: number;

  /**
   * The most instances managed instance scaling starts for the components' copies.
   *
   * @default - the larger of `initialInstanceCount` and `minInstanceCount`
   */
  readonly maxInstanceCount?: number;

  /**
   * The instances the endpoint starts with (at least 1: SageMaker starts every endpoint on one).
   *
   * @default - `minInstanceCount`, at least 1
   */
  readonly initialInstanceCount?: number;

  /**
   * The production variant's name.
   *
   * @default 'AllTraffic'
   */
  readonly variantName?: string;

  /**
   * The endpoint's name.
   *
   * @default - a name unique to this construct, generated at synth
   */
  readonly endpointName?: string;

  /**
   * The role SageMaker assumes for the endpoint (`ExecutionRoleArn` of its configuration); the
   * components' models keep their own roles.
   *
   * @default - a SageMakerExecutionRole is defined
   */
  readonly role?: iam.IRole;

  /**
   * The key of the instances' storage volumes. Instance types whose only storage is local NVMe
   * (ml.g5, ml.g6, ml.p4d, …) refuse a key.
   *
   * @default - a key with rotation when the instance type takes one; none otherwise
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * How requests are routed among the copies of a component.
   *
   * @default - SageMaker's default (random)
   */
  readonly routingStrategy?: RoutingStrategy;
}

/**
 * A real-time endpoint that hosts inference components (`InferenceComponent`): one production
 * variant with no model, an instance type, and managed instance scaling that starts and stops
 * instances as the components' copies need them. With `minInstanceCount: 0` it scales to zero
 * instances when no component has a copy (and costs nothing idle); the components' own scaling
 * brings a copy, and with it an instance, back on the first request.
 *
 * Define the components with `new InferenceComponent(this, 'Model', { endpoint, model, ... })`, and
 * grant callers with each component's `grantInvoke`: an invocation names its component, and IAM
 * authorizes the endpoint and the component (the endpoint's own `grantInvoke` covers the endpoint
 * alone).
 */
export class ComponentEndpoint extends InferenceEndpointBase implements IComponentEndpoint {
  /** Imports a component endpoint defined elsewhere, for the components of this app. */
  public static fromComponentEndpointAttributes(scope: Construct, id: string, attrs: ComponentEndpointAttributes): IComponentEndpoint {
    class Import extends InferenceEndpointBase implements IComponentEndpoint {
      public readonly endpointName = attrs.endpointName;
      public readonly endpointArn = endpointArnOf(scope, attrs.endpointName);
      public readonly variantName = attrs.variantName ?? 'AllTraffic';
      public readonly instanceType = attrs.instanceType;
      public readonly minInstanceCount = attrs.minInstanceCount ?? 1;
      protected readonly defaultVariantName = attrs.variantName ?? 'AllTraffic';
    }
    const imported = new Import(scope, id);
    validateIn(imported, () => {
      generatedEndpointName(imported, attrs.endpointName);
      instanceTypeName('instanceType', attrs.instanceType, attrs.instanceType);
      validateInteger('minInstanceCount', attrs.minInstanceCount, 0, 1000);
    });
    return imported;
  }

  public readonly endpointName: string;
  public readonly endpointArn: string;
  public readonly variantName: string;
  public readonly instanceType: SageMakerInstanceType;
  public readonly minInstanceCount: number;
  /** The most instances managed instance scaling starts. */
  public readonly maxInstanceCount: number;
  /** The role of the endpoint's configuration. */
  public readonly role: iam.IRole;
  /** The key of the instances' storage volumes, if any. */
  public readonly encryptionKey?: kms.IKey;
  /** The endpoint configuration's name (generated; it changes with the configuration). */
  public readonly endpointConfigName: string;
  protected readonly defaultVariantName: string;

  constructor(scope: Construct, id: string, props: ComponentEndpointProps) {
    super(scope, id);
    const min = props.minInstanceCount ?? 1;
    const known = (n: number) => (Token.isUnresolved(n) ? 1 : n);
    const initial = props.initialInstanceCount ?? Math.max(1, known(min));
    const max = props.maxInstanceCount ?? Math.max(known(initial), known(min));
    const type = validateIn(this, () => {
      const name = instanceTypeName('instanceType', props.instanceType, SageMakerInstanceType.ML_M5_LARGE);
      validateInteger('initialInstanceCount', props.initialInstanceCount, 1, 1000);
      validateInteger('minInstanceCount', props.minInstanceCount, 0, 1000);
      validateInteger('maxInstanceCount', props.maxInstanceCount, 1, 1000);
      if ([min, max, initial].every(n => !Token.isUnresolved(n))) {
        if (min > max) fail(`minInstanceCount must be at most maxInstanceCount (${max}), got ${min}`);
        if (initial > max) fail(`initialInstanceCount must be at most maxInstanceCount (${max}), got ${initial}`);
        if (initial < min) fail(`initialInstanceCount must be at least minInstanceCount (${min}), got ${initial}`);
      }
      if (props.variantName !== undefined) {
        validateLength('variantName', props.variantName, 1, 63);
        validatePattern('variantName', props.variantName, /^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/, 'letters, digits and single hyphens');
      }
      if (props.routingStrategy !== undefined && !Object.values(RoutingStrategy).includes(props.routingStrategy)) {
        fail(`routingStrategy must be one of ${Object.values(RoutingStrategy).join(', ')}, got ${String(props.routingStrategy)}`);
      }
      return name;
    });
    this.instanceType = props.instanceType;
    this.minInstanceCount = min;
    this.maxInstanceCount = max;
    this.variantName = props.variantName ?? 'AllTraffic';
    this.defaultVariantName = this.variantName;
    this.endpointName = validateIn(this, () => generatedEndpointName(this, props.endpointName));
    this.endpointArn = endpointArnOf(this, this.endpointName);
    this.encryptionKey = validateIn(this, () => volumeKeyFor(this, [type], props.encryptionKey));

    const ownRole = props.role ? undefined : new SageMakerExecutionRole(this, 'Role', { description: `Endpoint ${this.node.path}: hosts inference components` });
    this.role = props.role ?? ownRole!.role;

    const config = new sagemaker.CfnEndpointConfig(this, 'Config', {
      executionRoleArn: this.role.roleArn,
      kmsKeyId: this.encryptionKey?.keyArn,
      productionVariants: [{
        variantName: this.variantName,
        instanceType: type,
        initialInstanceCount: initial,
        managedInstanceScaling: { status: 'ENABLED', minInstanceCount: min, maxInstanceCount: max },
        routingConfig: props.routingStrategy ? { routingStrategy: props.routingStrategy } : undefined,
      }],
    });
    // SageMaker checks the role when the configuration is defined: wait for its policies.
    config.node.addDependency(ownRole ?? this.role);
    acknowledgeNoKeyForInstanceStorage(config, [type], this.encryptionKey);
    this.endpointConfigName = config.attrEndpointConfigName;

    new sagemaker.CfnEndpoint(this, 'Resource', {
      endpointName: this.endpointName,
      endpointConfigName: config.attrEndpointConfigName,
    });
  }

  /** Whether the endpoint may scale to zero instances (`minInstanceCount` 0). */
  public get scalesToZero(): boolean {
    return this.minInstanceCount === 0;
  }
}
