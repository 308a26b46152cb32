import { CfnOutput, Fn, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { EXAMPLE_IMAGE_DIRECTORY } from './training-stack';
import { IMlDataStore, MlDataStore } from '../../lib/data/ml-data-store';
import { TeamDomain } from '../../lib/domain/team-domain';
import { SageMakerImage } from '../../lib/images/sagemaker-image';
import { ManagedPolicyRole } from '../../lib/private/managed-policy-role';
import { acknowledgeInCompliancePacks } from '../../lib/private/nag';

/**
 * Properties of a SageMakerTeamDomainStack.
 */
export interface SageMakerTeamDomainStackProps extends StackProps {
  /**
   * The team's data store (share the training stack's).
   *
   * @default - an MlDataStore is defined
   */
  readonly dataStore?: IMlDataStore;

  /**
   * The user profiles.
   *
   * @default ['data-scientist']
   */
  readonly userProfiles?: string[];
}

/**
 * A team's isolated SageMaker environment: a VPC with no internet route (flow logs on,
 * encrypted), the endpoints a VPC-only domain needs, and the domain itself.
 */
export class SageMakerTeamDomainStack extends Stack {
  /** The domain. */
  public readonly domain: TeamDomain;

  /**
   * Two of the Region's zones, chosen at deploy time (`Fn::GetAZs`) as in a region-agnostic
   * stack: zone names written into the template are what cfn-lint W3010 warns about, and
   * they would differ between accounts anyway.
   */
  public get availabilityZones(): string[] {
    return [0, 1].map(i => Fn.select(i, Fn.getAzs()));
  }

  constructor(scope: Construct, id: string, props: SageMakerTeamDomainStackProps = {}) {
    super(scope, id, props);
    const store = props.dataStore ?? new MlDataStore(this, 'DataStore');
    const flowLogKey = new kms.Key(this, 'FlowLogKey', { description: 'Encrypts the team VPC flow logs', enableKeyRotation: true, removalPolicy: RemovalPolicy.RETAIN });
    flowLogKey.grantEncryptDecrypt(new iam.ServicePrincipal(`logs.${this.region}.amazonaws.com`));
    const flowLogRole = new ManagedPolicyRole(this, 'FlowLogRole', { assumedBy: new iam.ServicePrincipal('vpc-flow-logs.amazonaws.com'), description: 'Delivers the team VPC flow logs' });
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      // Clearing the default security group's rules takes a Lambda-backed custom resource;
      // nothing in this VPC uses the default group (see the acknowledgement below).
      restrictDefaultSecurityGroup: false,
      subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 22 }],
      flowLogs: {
        all: {
          destination: ec2.FlowLogDestination.toCloudWatchLogs(new logs.LogGroup(this, 'FlowLogs', {
            encryptionKey: flowLogKey, retention: logs.RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.RETAIN,
          }), flowLogRole),
          trafficType: ec2.FlowLogTrafficType.ALL,
        },
      },
    });
    acknowledgeInCompliancePacks(vpc.node.defaultChild!, 'VPCDefaultSecurityGroupClosed',
      'No interface in this VPC uses its default security group (the domain, its apps and the endpoints have their own); closing it needs a Lambda-backed custom resource.');
    this.domain = new TeamDomain(this, 'Domain', {
      vpc,
      dataStore: store,
      images: [SageMakerImage.fromAsset(EXAMPLE_IMAGE_DIRECTORY)],
      userProfiles: props.userProfiles ?? ['data-scientist'],
    });
    new CfnOutput(this, 'DomainId', { value: this.domain.domainId, description: 'Open Studio: aws sagemaker create-presigned-domain-url --domain-id <id> --user-profile-name data-scientist' });
  }
}
