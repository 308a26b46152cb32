import { buildHostingInteg } from '../integ.hosting';
import { buildTrainingInteg } from '../integ.training';
import { snapshotOf, testApp } from '../util';

/**
 * The integration tests' apps, synthesized without deploying: their snapshots (asset hashes
 * stripped) are verified in CI; deploying them needs an account (see each file's header).
 */
describe.each([
  ['training', buildTrainingInteg, ['startExecution', 'describeExecution']],
  ['hosting', buildHostingInteg, ['invokeEndpoint', 'putObject', 'invokeEndpointAsync', 'listObjectsV2']],
] as const)('the %s integration test', (_name, build, apis) => {
  const stacks = build(testApp({ validateTemplates: true }));

  test.each(stacks.map(s => [s.stackName, s] as const))('%s matches its snapshot', (_stackName, stack) => {
    // Assertions carry a timestamp salt so they run again on every deploy.
    expect(JSON.parse(JSON.stringify(snapshotOf(stack)).replace(/"salt":"\d+"/g, '"salt":"[TIMESTAMP]"'))).toMatchSnapshot();
  });

  test('asserts through API calls on what it deploys', () => {
    const assertions = stacks.find(s => /DeployAssert/.test(s.stackName))!;
    const calls = JSON.stringify(snapshotOf(assertions));
    for (const api of apis) expect({ api, asserted: calls.includes(api) }).toEqual({ api, asserted: true });
  });
});
