import { Errors, Fn, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { SageMakerTeamDomainStack, SageMakerTrainingStack } from '../../bin/stacks';
import { ITeamDomain, JobS3Location, MlDataStore, MlflowTrackingServer, TeamDomain } from '../../lib';
import { ENV, iamPolicies, nagFindings, snapshotOf, testApp, testStack } from '../util';

describe('TeamDomain', () => {
  // Without schema validation (about 6 CPU seconds a file): test/compliance/reference-app.test.ts validates
  // these stacks as the reference app defines them (its domain has one user profile, this one two).
  const app = testApp();
  const training = new SageMakerTrainingStack(app, 'SageMakerMlTraining', { env: ENV });
  const stack = new SageMakerTeamDomainStack(app, 'SageMakerMlTeamDomain', { env: ENV, dataStore: training.dataStore, userProfiles: ['data-scientist', 'ml-engineer'] });
  const t = Template.fromStack(stack);

  test('matches the snapshot', () => {
    expect(snapshotOf(stack)).toMatchSnapshot();
  });

  test('policy review: no unacknowledged finding in any pack', () => {
    expect(nagFindings(stack)).toEqual([]);
  });

  test('is VPC-only with IAM auth, an encrypted home volume and the team role; it is retained', () => {
    t.hasResource('AWS::SageMaker::Domain', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        AuthMode: 'IAM',
        AppNetworkAccessType: 'VpcOnly',
        KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DomainKey'), 'Arn'] },
        DefaultUserSettings: { ExecutionRole: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DomainExecutionRole'), 'Arn'] }, SecurityGroups: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^DomainSecurityGroup'), 'GroupId'] }] },
      }),
    });
    t.resourcePropertiesCountIs('AWS::SageMaker::UserProfile', { UserProfileName: Match.anyValue() }, 2);
    t.hasResourceProperties('AWS::SageMaker::UserProfile', { UserProfileName: 'ml-engineer' });
  });

  test('opens only NFS and app-to-app ports within its group, and the endpoints VPC-only Studio needs', () => {
    const ingress = Object.values<any>(t.findResources('AWS::EC2::SecurityGroupIngress')).map(r => `${r.Properties.FromPort}-${r.Properties.ToPort}`).sort();
    expect(ingress).toEqual(expect.arrayContaining(['2049-2049', '8192-65535']));
    expect(ingress).not.toContain('0-65535');
    const services = Object.values<any>(t.findResources('AWS::EC2::VPCEndpoint')).map(r => JSON.stringify(r.Properties.ServiceName));
    for (const s of ['sagemaker.api', 'sagemaker.runtime', 'sts', 'logs', 'ecr.api', 'ecr.dkr', 's3']) {
      expect({ s, present: services.some(x => x.includes(`.${s}`)) }).toEqual({ s, present: true });
    }
    t.resourceCountIs('AWS::EC2::NatGateway', 0);
  });

  test.each([
    [{ domainName: 'team_a' }, /domainName must be letters, digits and single hyphens, got 'team_a'/],
    [{ userProfiles: ['a', 'a'] }, /userProfiles\[\] must be unique, got 'a' more than once/],
    [{ userProfiles: ['Jane Doe'] }, /userProfiles\[\] must be letters, digits and single hyphens, got 'Jane Doe'/],
  ])('rejects %p', (override, error) => {
    const s = testStack();
    const vpc = new ec2.Vpc(s, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'i', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    expect(() => new TeamDomain(s, 'Domain', { vpc, dataStore: new MlDataStore(s, 'Store'), ...override })).toThrow(error);
  });

  test('is an ITeamDomain: grants to it go to its execution role', () => {
    const s = testStack();
    const vpc = new ec2.Vpc(s, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'i', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    const domain: ITeamDomain = new TeamDomain(s, 'Domain', { vpc, dataStore: new MlDataStore(s, 'Store') });
    expect(domain.grantPrincipal).toBe((domain as TeamDomain).executionRole);
    new MlflowTrackingServer(s, 'Tracking', { artifactStore: JobS3Location.inBucket(new s3.Bucket(s, 'Mlflow'), 'mlflow') }).grantTracking(domain);
    const tracking = Object.values<any>(iamPolicies(s)).filter(p => JSON.stringify(p.Properties.PolicyDocument).includes('sagemaker-mlflow:LogMetric'));
    expect(tracking.map(p => p.Properties.Roles)).toEqual([[{ Ref: expect.stringMatching(/^DomainExecutionRole/) }]]);
  });

  describe('fromDomainAttributes', () => {
    const importedIn = () => {
      const s = testStack();
      const role = iam.Role.fromRoleArn(s, 'TeamRole', 'arn:aws:iam::123456789012:role/team-studio', { mutable: true });
      return { s, role };
    };

    test('imports a domain by ID: its ARN, and grants to it go to its execution role', () => {
      const { s, role } = importedIn();
      const domain = TeamDomain.fromDomainAttributes(s, 'Imported', { domainId: 'd-abc123xyz', executionRole: role });
      expect(domain.domainId).toBe('d-abc123xyz');
      expect(s.resolve(domain.domainArn)).toBe('arn:aws:sagemaker:us-east-1:123456789012:domain/d-abc123xyz');
      expect(domain.grantPrincipal).toBe(role);
      // The library takes the domain where it takes a grantee: a tracking server, a bucket.
      const server = new MlflowTrackingServer(s, 'Tracking', { artifactStore: JobS3Location.inBucket(new s3.Bucket(s, 'Mlflow'), 'mlflow') });
      server.grantTracking(domain);
      Template.fromStack(s).hasResourceProperties('AWS::IAM::Policy', {
        Roles: ['team-studio'],
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: Match.arrayWith(['sagemaker-mlflow:LogMetric']) })]) },
      });
    });

    test('without its execution role, a grant to the domain fails naming executionRole', () => {
      const s = testStack();
      const domain = TeamDomain.fromDomainAttributes(s, 'Imported', { domainId: 'd-abc123xyz' });
      const error = /Test\/Imported: executionRole is required to grant to the domain/;
      expect(() => new s3.Bucket(s, 'Data').grantRead(domain)).toThrow(error);
      expect(() => iam.Grant.addToPrincipal({ grantee: domain, actions: ['s3:GetObject'], resourceArns: ['*'] })).toThrow(error);
      let thrown: unknown;
      try {
        new s3.Bucket(s, 'Other').grantRead(domain);
      } catch (e) {
        thrown = e;
      }
      expect(Errors.isValidationError(thrown)).toBe(true);
    });

    test.each([
      ['d_abc123', /Test\/Imported: domainId must be 'd-' followed by lowercase letters, digits and single hyphens \(e.g. 'd-xxxxxxxxxxxx'\), got 'd_abc123'/],
      ['D-ABC123', /domainId must be 'd-' followed by lowercase letters, digits and single hyphens .*, got 'D-ABC123'/],
      ['abc123', /domainId must be 'd-' followed by .*, got 'abc123'/],
      ['arn:aws:sagemaker:us-east-1:123456789012:domain/d-abc', /domainId must be 'd-' followed by .*, got 'arn:aws:sagemaker/],
      [`d-${'a'.repeat(62)}`, /domainId must be between 3 and 63 characters long, got 64 characters/],
      ['', /domainId must be between 3 and 63 characters long, got 0 characters/],
      [undefined, /Test\/Imported: domainId is required/],
    ])('refuses the domain ID %p', (domainId, error) => {
      expect(() => TeamDomain.fromDomainAttributes(testStack(), 'Imported', { domainId: domainId as any })).toThrow(error);
    });

    test('takes a domain ID known at deploy time', () => {
      const s = testStack();
      const domain = TeamDomain.fromDomainAttributes(s, 'Imported', { domainId: Fn.importValue('TeamDomainId') });
      expect(s.resolve(domain.domainId)).toEqual({ 'Fn::ImportValue': 'TeamDomainId' });
    });
  });

  describe('grantCreatePresignedDomainUrl', () => {
    const profiles = 'arn:aws:sagemaker:us-east-1:123456789012:user-profile/';
    const domains: Array<[string, (s: Stack) => ITeamDomain, (name: string) => unknown]> = [
      ['a defined domain', s => new TeamDomain(s, 'Domain', {
        vpc: new ec2.Vpc(s, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'i', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] }),
        dataStore: new MlDataStore(s, 'Store'),
      }), name => ({ 'Fn::Join': ['', [profiles, { 'Fn::GetAtt': [Match.stringLikeRegexp('^Domain'), 'DomainId'] }, `/${name}`]] })],
      ['an imported domain', s => TeamDomain.fromDomainAttributes(s, 'Domain', { domainId: 'd-abc123xyz' }), name => `${profiles}d-abc123xyz/${name}`],
    ];

    test.each(domains)('lets a grantee open Studio as one user, or any user, of %s', (_kind, define, profileArn) => {
      const s = testStack();
      const domain = define(s);
      const one = domain.grantCreatePresignedDomainUrl(new iam.Role(s, 'Portal', { assumedBy: new iam.AccountRootPrincipal() }), 'data-scientist');
      const any = domain.grantCreatePresignedDomainUrl(new iam.Role(s, 'Admin', { assumedBy: new iam.AccountRootPrincipal() }));
      expect(one.success && any.success).toBe(true);
      const template = Template.fromStack(s);
      for (const [role, name] of [['Portal', 'data-scientist'], ['Admin', '*']]) {
        template.hasResourceProperties('AWS::IAM::Policy', {
          Roles: [{ Ref: Match.stringLikeRegexp(`^${role}`) }],
          PolicyDocument: { Statement: [{ Action: 'sagemaker:CreatePresignedDomainUrl', Effect: 'Allow', Resource: profileArn(name) }] },
        });
      }
    });

    test('refuses a user profile name SageMaker would refuse', () => {
      const s = testStack();
      const domain = TeamDomain.fromDomainAttributes(s, 'Imported', { domainId: 'd-abc123xyz' });
      const portal = new iam.Role(s, 'Portal', { assumedBy: new iam.AccountRootPrincipal() });
      expect(() => domain.grantCreatePresignedDomainUrl(portal, 'Jane Doe')).toThrow(/Test\/Imported: userProfileName must be letters, digits and single hyphens, got 'Jane Doe'/);
    });
  });
});
