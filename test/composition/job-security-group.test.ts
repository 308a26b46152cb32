import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import { JobS3Location, MlDataStore, ProcessingJobStep, SageMakerImage } from '../../lib';
import { nagFindings, testStack } from '../util';

/**
 * A job's own security group: the self-referencing all-traffic rule only for a distributed job
 * (found by the composition app: every single-instance job in a VPC had it, and
 * EC2RestrictedCommonPorts in the three compliance packs), acknowledged on that one rule.
 */
function job(instanceCount: number) {
  const stack = testStack();
  const store = new MlDataStore(stack, 'Store');
  const vpc = new ec2.Vpc(stack, 'Vpc', { subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  new ProcessingJobStep(stack, 'Prep', {
    image: SageMakerImage.fromEcrRepository(ecr.Repository.fromRepositoryName(stack, 'Repo', 'prep'), '1'),
    instanceCount,
    vpc,
    processingOutputs: [{ outputName: 'out', destination: JobS3Location.inBucket(store.artifactsBucket, 'out') }],
  });
  return stack;
}

test('a single-instance job has no self-referencing rule', () => {
  const stack = job(1);
  expect(Template.fromStack(stack).findResources('AWS::EC2::SecurityGroupIngress')).toEqual({});
  expect(nagFindings(stack).filter(f => /EC2/.test(f))).toEqual([]);
});

test('a distributed job lets its instances reach each other, acknowledged on that rule only', () => {
  const stack = job(2);
  const rules = Object.values(Template.fromStack(stack).findResources('AWS::EC2::SecurityGroupIngress'));
  expect(rules).toHaveLength(1);
  expect(rules[0].Properties).toEqual(expect.objectContaining({ IpProtocol: '-1', Description: 'traffic between the instances of the job' }));
  expect(rules[0].Properties.SourceSecurityGroupId).toEqual(rules[0].Properties.GroupId);
  expect(nagFindings(stack).filter(f => /EC2/.test(f))).toEqual([]);
});
