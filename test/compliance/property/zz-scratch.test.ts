import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Context, importedModel, checkTemplate } from './harness';
import { ApprovedModelDeployment, ModelPackageGroup, RealtimeEndpoint } from '../../../lib';

const variants: Record<string, (c: Context) => any> = {
  public: c => ({ vpc: c.vpc, vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC } }),
  subnetsOnly: c => ({ vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } }),
  groupsOnly: c => ({ securityGroups: [c.securityGroup] }),
  vpc: c => ({ vpc: c.vpc }),
  isolated: c => ({ vpc: c.vpc, vpcSubnets: { subnetGroupName: 'Isolated' } }),
  groups: c => ({ vpc: c.vpc, securityGroups: [c.securityGroup], rollbackOnSmokeTestFailure: false }),
};
for (const [k, f] of Object.entries(variants)) {
  test(k, () => {
    const c = new Context();
    try {
      const group = ModelPackageGroup.fromModelPackageGroupName(c.stack, 'Group', 'churn');
      const endpoint = new RealtimeEndpoint(c.stack, 'Endpoint', { variants: [{ model: importedModel(c, true) }] });
      new ApprovedModelDeployment(c.stack, 'D', { modelPackageGroup: group, endpoint, samplePayload: '1', ...f(c) });
      const t = checkTemplate(c.stack);
      console.log(k, 'OK', JSON.stringify(Object.values<any>(t.Resources).filter(r => r.Type === 'AWS::EC2::SecurityGroup').length));
    } catch (e) { console.log(k, (e as Error).message); }
  });
}
