import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { MlDataStore, TeamDomain } from '../../lib';
import { SageMakerTeamDomainStack, SageMakerTrainingStack } from '../../bin/stacks';
import { ENV, nagFindings, snapshotOf, testApp, testStack } from '../util';

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
});
