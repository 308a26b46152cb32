import { IResource, Names, RemovalPolicy, Resource, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct, IConstruct } from 'constructs';
import { JobS3Location, S3AccessMode } from '../data/job-s3-location';
import { IMlDataStore } from '../data/ml-data-store';
import { SageMakerImage } from '../images/sagemaker-image';
import { acknowledge, registerWildcardResource } from '../private/nag';
import { selectOrFail } from '../private/subnets';
import { fail, failAt, validateIn, validateLength, validatePattern, validateUnique } from '../private/validate';
import { SageMakerExecutionRole } from '../roles/sagemaker-execution-role';

/**
 * A SageMaker domain: a `TeamDomain`, or one defined elsewhere (`TeamDomain.fromDomainAttributes`).
 *
 * It is grantable: grants to it (`bucket.grantRead(domain)`, `server.grantTracking(domain)`) go
 * to the domain's default execution role, which its users' apps and jobs run as.
 */
export interface ITeamDomain extends IResource, iam.IGrantable {
  /**
   * The domain's ID (`d-...`): what user profiles, spaces and apps are defined in.
   * @attribute
   */
  readonly domainId: string;
  /**
   * The domain's ARN.
   * @attribute
   */
  readonly domainArn: string;
  /**
   * Lets `grantee` open Studio as a user of the domain (`sagemaker:CreatePresignedDomainUrl`
   * on the user's profile).
   *
   * @param grantee who signs users in (an SSO role, a portal's function)
   * @param userProfileName the user profile to open; every user profile of the domain when omitted
   */
  grantCreatePresignedDomainUrl(grantee: iam.IGrantable, userProfileName?: string): iam.Grant;
}

/**
 * A domain defined elsewhere.
 */
export interface TeamDomainAttributes {
  /** The domain's ID, `d-` and lowercase letters and digits (e.g. `d-xxxxxxxxxxxx`). */
  readonly domainId: string;

  /**
   * The domain's default execution role: what grants to the domain (`grantPrincipal`) go to.
   *
   * @default - unknown: a grant to the domain fails, naming this attribute
   */
  readonly executionRole?: iam.IRole;
}

/** SageMaker API reference, DomainDetails: `DomainId`, at most 63 characters. */
function validateDomainId(domainId: string): void {
  validateLength('domainId', domainId, 3, 63);
  validatePattern('domainId', domainId, /^d-(-*[a-z0-9]){1,61}$/, "'d-' followed by lowercase letters, digits and single hyphens (e.g. 'd-xxxxxxxxxxxx')");
}

function validateUserProfileName(prop: string, name: string): void {
  validateLength(prop, name, 1, 63);
  validatePattern(prop, name, /^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/, 'letters, digits and single hyphens');
}

/**
 * The grant principal of a domain imported without its execution role: a grant to it fails
 * with an error naming the missing attribute (rather than aws-cdk-lib's bare "cannot get
 * policy fragment").
 */
class MissingExecutionRole extends iam.UnknownPrincipal {
  constructor(private readonly domain: IConstruct) {
    super({ resource: domain });
  }

  public get policyFragment(): iam.PrincipalPolicyFragment {
    return this.fail();
  }

  public addToPrincipalPolicy(_statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    return this.fail();
  }

  private fail(): never {
    failAt(this.domain, 'executionRole is required to grant to the domain (grants go to its default execution role), got none: import it with TeamDomain.fromDomainAttributes(scope, id, { domainId, executionRole })');
  }
}

/** `sagemaker:CreatePresignedDomainUrl` on a user profile ARN (`user-profile/<domainId>/<name>`). */
function grantPresignedUrl(domain: ITeamDomain, grantee: iam.IGrantable, userProfileName?: string): iam.Grant {
  validateIn(domain, () => {
    if (userProfileName !== undefined) validateUserProfileName('userProfileName', userProfileName);
  });
  return iam.Grant.addToPrincipal({
    grantee,
    actions: ['sagemaker:CreatePresignedDomainUrl'],
    resourceArns: [Stack.of(domain).formatArn({ service: 'sagemaker', resource: 'user-profile', resourceName: `${domain.domainId}/${userProfileName ?? '*'}` })],
  });
}

/**
 * Properties of a TeamDomain.
 */
export interface TeamDomainProps {
  /** The VPC the domain's apps run in; with VPC-only access they reach nothing outside it. */
  readonly vpc: ec2.IVpc;

  /**
   * The subnets of the domain.
   *
   * @default - the VPC's private subnets (isolated or with egress)
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /** The team's data store: the default role reads data and reads and writes artifacts. */
  readonly dataStore: IMlDataStore;

  /**
   * Images the team's apps and jobs may pull.
   *
   * @default - none
   */
  readonly images?: SageMakerImage[];

  /**
   * The user profiles to define (names).
   *
   * @default - none
   */
  readonly userProfiles?: string[];

  /**
   * The key that encrypts the domain's home EFS volume.
   *
   * @default - a key with rotation is defined
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * The domain's name.
   *
   * @default - a name unique to this construct, generated at synth
   */
  readonly domainName?: string;

  /**
   * Whether to define the interface endpoints a VPC-only domain needs (SageMaker API and
   * runtime, STS, CloudWatch Logs, ECR) and an S3 gateway endpoint. Turn off when the VPC
   * has them.
   *
   * @default true
   */
  readonly vpcEndpoints?: boolean;
}

/**
 * A SageMaker domain: an isolated ML environment for a team, with VPC-only network access,
 * IAM authentication, a KMS-encrypted home EFS volume, a default execution role scoped to
 * the team's data store and images, and user profiles.
 *
 * The domain is retained when the stack is deleted: deleting it deletes the users' home
 * directories.
 */
export class TeamDomain extends Resource implements ITeamDomain {
  /**
   * Imports a domain defined elsewhere (another app, the console), by ID.
   *
   * @param scope the scope of the import
   * @param id the import's construct id
   * @param attrs the domain's ID and, to grant to the domain, its default execution role
   */
  public static fromDomainAttributes(scope: Construct, id: string, attrs: TeamDomainAttributes): ITeamDomain {
    class Import extends Resource implements ITeamDomain {
      public readonly domainId = attrs.domainId;
      public readonly domainArn = Stack.of(scope).formatArn({ service: 'sagemaker', resource: 'domain', resourceName: attrs.domainId });
      public readonly grantPrincipal: iam.IPrincipal = attrs.executionRole ?? new MissingExecutionRole(this);

      public grantCreatePresignedDomainUrl(grantee: iam.IGrantable, userProfileName?: string): iam.Grant {
        return grantPresignedUrl(this, grantee, userProfileName);
      }
    }
    const domain = new Import(scope, id);
    validateIn(domain, () => {
      if (attrs.domainId === undefined || attrs.domainId === null) fail("domainId is required: the domain's ID, e.g. 'd-xxxxxxxxxxxx', got none");
      validateDomainId(attrs.domainId);
    });
    return domain;
  }

  /**
   * The domain's ID.
   * @attribute
   */
  public readonly domainId: string;
  /**
   * The domain's ARN.
   * @attribute
   */
  public readonly domainArn: string;
  /** The default execution role of the domain's users. */
  public readonly executionRole: iam.IRole;
  /** The default execution role. */
  public readonly grantPrincipal: iam.IPrincipal;
  /** The security group of the domain's apps. */
  public readonly securityGroup: ec2.ISecurityGroup;
  /** The user profiles, by name. */
  public readonly userProfileNames: string[];

  constructor(scope: Construct, id: string, props: TeamDomainProps) {
    super(scope, id);
    const domainName = props.domainName ?? Names.uniqueResourceName(this, { maxLength: 63, separator: '-' }).replace(/-+/g, '-');
    const users = props.userProfiles ?? [];
    const subnets = validateIn(this, () => {
      validateLength('domainName', domainName, 1, 63);
      validatePattern('domainName', domainName, /^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/, 'letters, digits and single hyphens');
      users.forEach(u => validateUserProfileName('userProfiles[]', u));
      validateUnique('userProfiles[]', users);
      const selected = selectOrFail(props.vpc, props.vpcSubnets ?? { subnetFilters: [ec2.SubnetFilter.byIds(privateSubnetIds(props.vpc))] });
      if (selected.subnetIds.length === 0) fail('vpcSubnets must select at least one subnet; the VPC has no private subnets');
      // The S3 gateway endpoint is a route in each selected subnet's route table: an imported VPC
      // given without route table IDs has none to add it to (aws-cdk-lib would fail without the prop).
      if ((props.vpcEndpoints ?? true) && selected.subnets.some(s => !s.routeTable?.routeTableId)) {
        fail(`vpcEndpoints defines an S3 gateway endpoint in the route tables of the selected subnets, and VPC '${props.vpc.node.path}' has no route table IDs for them: import it with its route table IDs (ec2.Vpc.fromLookup, or privateSubnetRouteTableIds/isolatedSubnetRouteTableIds), or set vpcEndpoints to false where the VPC has its endpoints`);
      }
      return selected;
    });

    const sg = new ec2.SecurityGroup(this, 'SecurityGroup', { vpc: props.vpc, description: 'SageMaker domain apps', allowAllOutbound: true });
    // Within the group, Studio apps reach their home EFS volume (NFS) and each other
    // (Jupyter server to kernel gateways on 8192-65535); nothing else comes in.
    sg.addIngressRule(sg, ec2.Port.tcp(2049), 'NFS to the domain home volume');
    sg.addIngressRule(sg, ec2.Port.tcpRange(8192, 65535), 'traffic between the domain apps');
    this.securityGroup = sg;

    if (props.vpcEndpoints ?? true) {
      for (const [name, service] of Object.entries({
        SageMakerApi: ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_API,
        SageMakerRuntime: ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_RUNTIME,
        Sts: ec2.InterfaceVpcEndpointAwsService.STS,
        Logs: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
        EcrApi: ec2.InterfaceVpcEndpointAwsService.ECR,
        EcrDocker: ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
      })) {
        const endpoint = props.vpc.addInterfaceEndpoint(`${name}Endpoint`, { service, subnets: { subnets: subnets.subnets }, privateDnsEnabled: true, open: false });
        endpoint.connections.allowDefaultPortFrom(sg, 'HTTPS from the domain apps');
      }
      props.vpc.addGatewayEndpoint('S3Endpoint', { service: ec2.GatewayVpcEndpointAwsService.S3, subnets: [{ subnets: subnets.subnets }] });
    }

    const role = new SageMakerExecutionRole(this, 'ExecutionRole', { description: `Default execution role of SageMaker domain ${domainName}`, vpcAccess: true });
    JobS3Location.inBucket(props.dataStore.dataBucket, '').bind(this, role, S3AccessMode.READ);
    const artifacts = JobS3Location.inBucket(props.dataStore.artifactsBucket, '');
    artifacts.bind(this, role, S3AccessMode.READ);
    artifacts.bind(this, role, S3AccessMode.WRITE);
    validateIn(this, () => (props.images ?? []).forEach(image => image.bind(this, role)));
    this.executionRole = role.role;
    this.grantPrincipal = role.role;

    const key = props.encryptionKey ?? new kms.Key(this, 'Key', { description: `Encrypts the home volume of SageMaker domain ${domainName}`, enableKeyRotation: true, removalPolicy: RemovalPolicy.RETAIN });
    const domain = new sagemaker.CfnDomain(this, 'Resource', {
      domainName,
      authMode: 'IAM',
      appNetworkAccessType: 'VpcOnly',
      vpcId: props.vpc.vpcId,
      subnetIds: subnets.subnetIds,
      kmsKeyId: key.keyArn,
      defaultUserSettings: { executionRole: role.role.roleArn, securityGroups: [sg.securityGroupId] },
    });
    domain.applyRemovalPolicy(RemovalPolicy.RETAIN);
    domain.node.addDependency(role);
    this.domainId = domain.attrDomainId;
    this.domainArn = domain.attrDomainArn;
    this.grantStudio(role.role, key, domain.attrDomainId);

    const profiles = new Construct(this, 'UserProfiles');
    for (const user of users) {
      // The profile's name is its construct id: reordering the list replaces nothing.
      new sagemaker.CfnUserProfile(profiles, user, {
        domainId: domain.attrDomainId,
        userProfileName: user,
        userSettings: { executionRole: role.role.roleArn, securityGroups: [sg.securityGroupId] },
      }).applyRemovalPolicy(RemovalPolicy.RETAIN);
    }
    this.userProfileNames = users;
  }

  public grantCreatePresignedDomainUrl(grantee: iam.IGrantable, userProfileName?: string): iam.Grant {
    return grantPresignedUrl(this, grantee, userProfileName);
  }

  /**
   * What Studio does in the execution role's name once a user is in: read the domain and the
   * user's profile, list, define and start spaces and apps (JupyterLab, Code Editor, kernel
   * gateways), tag them, and open a space with a presigned URL; and the grants of the
   * domain's key that SageMaker makes for the apps' storage.
   * (SageMaker Developer Guide, "Amazon SageMaker AI domain overview" and "Customer managed
   * keys for Studio"; Service Authorization Reference for the resource types.)
   *
   * Its own policy, which the domain does not wait for: it names the domain's ID.
   */
  private grantStudio(role: iam.IRole, key: kms.IKey, domainId: string): void {
    const stack = Stack.of(this);
    const arn = (resource: string, resourceName: string) => stack.formatArn({ service: 'sagemaker', resource, resourceName });
    const inDomain = [
      arn('user-profile', `${domainId}/*`),
      arn('space', `${domainId}/*`),
      arn('app', `${domainId}/*`),
    ];
    const policy = new iam.ManagedPolicy(this, 'StudioPolicy', {
      roles: [role],
      description: `What SageMaker Studio does with the execution role of domain ${this.node.path}`,
      statements: [
        new iam.PolicyStatement({ sid: 'ReadDomain', actions: ['sagemaker:DescribeDomain'], resources: [arn('domain', domainId)] }),
        new iam.PolicyStatement({
          sid: 'UseSpacesAndApps',
          actions: [
            'sagemaker:DescribeUserProfile', 'sagemaker:CreatePresignedDomainUrl',
            'sagemaker:CreateSpace', 'sagemaker:UpdateSpace', 'sagemaker:DeleteSpace', 'sagemaker:DescribeSpace',
            'sagemaker:CreateApp', 'sagemaker:DeleteApp', 'sagemaker:DescribeApp',
            'sagemaker:AddTags', 'sagemaker:ListTags',
          ],
          resources: inDomain,
        }),
        new iam.PolicyStatement({
          sid: 'ListSpacesAndApps',
          actions: ['sagemaker:ListSpaces', 'sagemaker:ListApps', 'sagemaker:ListUserProfiles'],
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          sid: 'GrantDomainKeyToSageMaker',
          actions: ['kms:CreateGrant'],
          resources: [key.keyArn],
          conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
        }),
        new iam.PolicyStatement({ sid: 'DescribeDomainKey', actions: ['kms:DescribeKey'], resources: [key.keyArn] }),
      ],
    });
    for (const resource of inDomain) {
      registerWildcardResource(this, resource, 'Studio names user profiles, spaces and apps when users define them: access is limited to this domain\'s ID.');
    }
    acknowledge(policy.node.defaultChild!, 'AwsSolutions-IAM5[Resource::*]',
      'sagemaker:ListSpaces, ListApps and ListUserProfiles support no resource-level permissions (Service Authorization Reference for Amazon SageMaker).');
  }
}

function privateSubnetIds(vpc: ec2.IVpc): string[] {
  return [...vpc.isolatedSubnets, ...vpc.privateSubnets].map(s => s.subnetId);
}
