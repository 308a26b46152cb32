import { Arn, ArnFormat, Lazy, Names, Resource, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';

import { validateLength, validatePattern, validateIn } from '../private/validate';

/** What SageMaker reads from a group and its versions. */
const READ_ACTIONS = ['sagemaker:DescribeModelPackageGroup', 'sagemaker:DescribeModelPackage', 'sagemaker:ListModelPackages'];
/** Registering a version: SageMaker checks the group, then creates the package in it. */
const REGISTER_ACTIONS = ['sagemaker:DescribeModelPackageGroup', 'sagemaker:CreateModelPackage'];
/** Approving or rejecting a version is an update of its `ModelApprovalStatus`. */
const APPROVE_ACTIONS = ['sagemaker:DescribeModelPackage', 'sagemaker:UpdateModelPackage'];

/**
 * A model package group of the SageMaker Model Registry: the versions of one model,
 * each with an approval status.
 */
export interface IModelPackageGroup extends iam.IResourceWithPolicy {
  /**
   * The group's name.
   * @attribute
   */
  readonly modelPackageGroupName: string;
  /**
   * The group's ARN.
   * @attribute
   */
  readonly modelPackageGroupArn: string;
  /**
   * The ARN pattern of the group's versions (`model-package/<group>/*`, the group name
   * lowercase as SageMaker writes it in version ARNs).
   */
  readonly modelPackageArns: string;

  /**
   * The group's ARN, and its lowercase spelling when the name has capitals.
   */
  readonly modelPackageGroupArns: string[];

  /** Lets `grantee` describe and list the group and its versions. */
  grantRead(grantee: iam.IGrantable): iam.Grant;

  /** Lets `grantee` register versions in the group (`CreateModelPackage`). */
  grantRegister(grantee: iam.IGrantable): iam.Grant;

  /** Lets `grantee` approve or reject versions (`UpdateModelPackage`). */
  grantApprove(grantee: iam.IGrantable): iam.Grant;
}

/**
 * Properties of a ModelPackageGroup.
 */
export interface ModelPackageGroupProps {
  /**
   * The group's name: 1 to 63 letters, digits and hyphens. It is part of every version's
   * ARN (`model-package/<group>/<version>`), and of the approval events.
   *
   * @default - a lowercase name unique to this construct, generated at synth
   */
  readonly modelPackageGroupName?: string;

  /**
   * A description of the group (up to 1024 characters).
   *
   * @default - none
   */
  readonly description?: string;
}

abstract class ModelPackageGroupBase extends Resource implements IModelPackageGroup {
  public abstract readonly modelPackageGroupName: string;
  public abstract readonly modelPackageGroupArn: string;
  protected abstract readonly policy?: iam.PolicyDocument;

  /**
   * The ARN pattern of the group's versions (`model-package/<group>/*`), with the group name
   * lowercase: SageMaker writes it so in version ARNs (the SageMaker developer guide's pipeline
   * walkthrough registers in `AbaloneModelPackageGroupName` and gets
   * `model-package/abalonemodelpackagegroupname/1`), and IAM compares ARNs case-sensitively.
   */
  public get modelPackageArns(): string {
    return Stack.of(this).formatArn({
      service: 'sagemaker',
      resource: 'model-package',
      resourceName: `${lowercase(this.modelPackageGroupName)}/*`,
      region: this.env.region,
      account: this.env.account,
    });
  }

  /**
   * The group's ARN as given and, for a name with capitals, lowercase too: the versions'
   * ARNs are lowercase, and a policy on the group should not depend on which spelling
   * SageMaker authorizes against.
   */
  public get modelPackageGroupArns(): string[] {
    const name = this.modelPackageGroupName;
    if (lowercase(name) === name) return [this.modelPackageGroupArn];
    return [this.modelPackageGroupArn, Stack.of(this).formatArn({
      service: 'sagemaker',
      resource: 'model-package-group',
      resourceName: name.toLowerCase(),
      region: this.env.region,
      account: this.env.account,
    })];
  }

  /**
   * Adds a statement to the group's resource policy. Imported groups have none that this
   * app can change: the statement is then not added.
   */
  public addToResourcePolicy(statement: iam.PolicyStatement): iam.AddToResourcePolicyResult {
    if (!this.policy) return { statementAdded: false };
    this.policy.addStatements(statement);
    return { statementAdded: true, policyDependable: this };
  }

  public grantRead(grantee: iam.IGrantable): iam.Grant {
    return this.grant(grantee, READ_ACTIONS, [...this.modelPackageGroupArns, this.modelPackageArns]);
  }

  public grantRegister(grantee: iam.IGrantable): iam.Grant {
    return this.grant(grantee, REGISTER_ACTIONS, [...this.modelPackageGroupArns, this.modelPackageArns]);
  }

  public grantApprove(grantee: iam.IGrantable): iam.Grant {
    return this.grant(grantee, APPROVE_ACTIONS, [this.modelPackageArns]);
  }

  private grant(grantee: iam.IGrantable, actions: string[], resourceArns: string[]): iam.Grant {
    // Same account: the grantee's identity policy. Another account: the group's resource
    // policy as well (SageMaker's cross-account registry), which the other account's
    // administrator completes with an identity policy of their own.
    return iam.Grant.addToPrincipalOrResource({ grantee, actions, resourceArns, resource: this });
  }
}

/**
 * A model package group (`AWS::SageMaker::ModelPackageGroup`): the registry entry of one
 * model, whose versions are registered by a training workflow and approved by a person.
 *
 * Grants to principals of other accounts are written into the group's resource policy,
 * which is how SageMaker shares a group across accounts. Tag it with `Tags.of(group)`.
 */
export class ModelPackageGroup extends ModelPackageGroupBase {
  /** Imports a group of this stack's account and Region by name. */
  public static fromModelPackageGroupName(scope: Construct, id: string, modelPackageGroupName: string): IModelPackageGroup {
    validateGroupName('modelPackageGroupName', modelPackageGroupName);
    class Import extends ModelPackageGroupBase {
      public readonly modelPackageGroupName = modelPackageGroupName;
      public readonly modelPackageGroupArn = Stack.of(scope).formatArn({ service: 'sagemaker', resource: 'model-package-group', resourceName: modelPackageGroupName });
      protected readonly policy = undefined;
    }
    return new Import(scope, id);
  }

  /** Imports a group by ARN, possibly of another account (which must share it with a resource policy). */
  public static fromModelPackageGroupArn(scope: Construct, id: string, modelPackageGroupArn: string): IModelPackageGroup {
    if (!Token.isUnresolved(modelPackageGroupArn)) {
      validatePattern('modelPackageGroupArn', modelPackageGroupArn,
        /^arn:aws[a-z-]*:sagemaker:[a-z0-9-]{9,16}:\d{12}:model-package-group\/[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/,
        "the ARN of a model package group ('arn:aws:sagemaker:<region>:<account>:model-package-group/<name>')");
    }
    const parts = Arn.split(modelPackageGroupArn, ArnFormat.SLASH_RESOURCE_NAME);
    class Import extends ModelPackageGroupBase {
      public readonly modelPackageGroupName = parts.resourceName!;
      public readonly modelPackageGroupArn = modelPackageGroupArn;
      protected readonly policy = undefined;
    }
    return new Import(scope, id, { account: parts.account, region: parts.region });
  }

  public readonly modelPackageGroupName: string;
  public readonly modelPackageGroupArn: string;
  /** The group's resource policy (cross-account grants); empty until something is granted to another account. */
  protected readonly policy = new iam.PolicyDocument();

  constructor(scope: Construct, id: string, props: ModelPackageGroupProps = {}) {
    super(scope, id);
    this.modelPackageGroupName = validateIn(this, () => {
      validateLength('description', props.description, 0, 1024);
      if (props.modelPackageGroupName === undefined) {
        // Lowercase, as SageMaker writes it in the versions' ARNs: one spelling everywhere.
        return Names.uniqueResourceName(this, { maxLength: 63, separator: '-' }).replace(/-+/g, '-').replace(/^-|-$/g, '').toLowerCase();
      }
      validateGroupName('modelPackageGroupName', props.modelPackageGroupName);
      return props.modelPackageGroupName;
    });

    new sagemaker.CfnModelPackageGroup(this, 'Resource', {
      modelPackageGroupName: this.modelPackageGroupName,
      modelPackageGroupDescription: props.description,
      modelPackageGroupPolicy: Lazy.any({ produce: () => this.policy.isEmpty ? undefined : this.policy.toJSON() }),
    });
    // Built from the name rather than the attribute, so the resource policy can name the
    // group without a reference to the resource it is part of (a circular dependency).
    this.modelPackageGroupArn = Stack.of(this).formatArn({ service: 'sagemaker', resource: 'model-package-group', resourceName: this.modelPackageGroupName });
    this.node.addValidation({ validate: () => this.policy.validateForResourcePolicy() });
  }
}

function validateGroupName(prop: string, name: string): void {
  if (Token.isUnresolved(name)) return;
  validateLength(prop, name, 1, 63);
  validatePattern(prop, name, /^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/, 'letters, digits and hyphens, starting and ending with a letter or digit');
}

/** A string lowercased, or left as it is when it holds tokens (their values are unknown here). */
function lowercase(value: string): string {
  return Token.isUnresolved(value) ? value : value.toLowerCase();
}
