import { CfnOutput } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ModelMonitorImage } from '../../lib/monitoring/model-monitor-image';
import { MODEL_MONITOR_REGISTRY_ACCOUNTS, MODEL_MONITOR_REGISTRY_SOURCE, modelMonitorImageUri } from '../../lib/monitoring/private/model-monitor-registries';
import { testStack } from '../util';

/**
 * The analyzer table, compared with its source: aws/sagemaker-python-sdk
 * `src/sagemaker/image_uri_config/model-monitor.json` (master-v2; the same blob is
 * `sagemaker-core/src/sagemaker/core/image_uri_config/model-monitor.json` on master), last
 * changed by commit 19e56f3fc21c573ce8e381e89099de9be6bdc881 on 2024-09-17 ("change: update
 * image_uri_configs 09-17-2024"), unchanged on master at a24812666d258d9d19c9a82d0c9385ca0bd3ba01
 * (2026-08-21). Its `versions[""].registries`, verbatim:
 */
const SDK_MODEL_MONITOR_JSON_REGISTRIES: Record<string, string> = {
  'af-south-1': '875698925577',
  'ap-east-1': '001633400207',
  'ap-northeast-1': '574779866223',
  'ap-northeast-2': '709848358524',
  'ap-northeast-3': '990339680094',
  'ap-south-1': '126357580389',
  'ap-southeast-1': '245545462676',
  'ap-southeast-2': '563025443158',
  'ap-southeast-3': '669540362728',
  'ca-central-1': '536280801234',
  'cn-north-1': '453000072557',
  'cn-northwest-1': '453252182341',
  'eu-central-1': '048819808253',
  'eu-central-2': '590183933784',
  'eu-north-1': '895015795356',
  'eu-south-1': '933208885752',
  'eu-south-2': '437450045455',
  'eu-west-1': '468650794304',
  'eu-west-2': '749857270468',
  'eu-west-3': '680080141114',
  'il-central-1': '843974653677',
  'me-central-1': '588750061953',
  'me-south-1': '607024016150',
  'sa-east-1': '539772159869',
  'us-east-1': '156813124566',
  'us-east-2': '777275614652',
  'us-isof-east-1': '853188333426',
  'us-isof-south-1': '467912361380',
  'us-west-1': '890145073186',
  'us-west-2': '159807026194',
};

describe('Model Monitor analyzer registries', () => {
  test('the table names its source (the SDK\'s model-monitor.json) and the date of the version it matches', () => {
    expect(MODEL_MONITOR_REGISTRY_SOURCE).toMatchObject({
      repository: 'aws/sagemaker-python-sdk',
      path: expect.stringContaining('image_uri_config/model-monitor.json'),
      commit: '19e56f3fc21c573ce8e381e89099de9be6bdc881',
      date: '2024-09-17',
    });
  });

  test('matches the SDK\'s table exactly: same Regions, same accounts', () => {
    expect(MODEL_MONITOR_REGISTRY_ACCOUNTS).toEqual(SDK_MODEL_MONITOR_JSON_REGISTRIES);
  });

  test.each([
    ['ap-northeast-3', '990339680094'],
    ['ap-southeast-3', '669540362728'],
    ['eu-central-2', '590183933784'],
    ['eu-south-2', '437450045455'],
    ['il-central-1', '843974653677'],
    ['me-central-1', '588750061953'],
  ])('the commercial Region %s (missing before) has its registry %s', (region, account) => {
    expect(modelMonitorImageUri(region)).toBe(`${account}.dkr.ecr.${region}.amazonaws.com/sagemaker-model-monitor-analyzer`);
    expect(new ModelMonitorImage().bind(testStack({ account: '123456789012', region }), { grantPrincipal: undefined as any }).imageUri)
      .toBe(`${account}.dkr.ecr.${region}.amazonaws.com/sagemaker-model-monitor-analyzer`);
  });

  test('China uses amazonaws.com.cn and the us-isof Regions csp.hci.ic.gov, as the SDK\'s ECR hostnames do', () => {
    expect(modelMonitorImageUri('cn-north-1')).toBe('453000072557.dkr.ecr.cn-north-1.amazonaws.com.cn/sagemaker-model-monitor-analyzer');
    expect(modelMonitorImageUri('cn-northwest-1')).toBe('453252182341.dkr.ecr.cn-northwest-1.amazonaws.com.cn/sagemaker-model-monitor-analyzer');
    expect(modelMonitorImageUri('us-isof-east-1')).toBe('853188333426.dkr.ecr.us-isof-east-1.csp.hci.ic.gov/sagemaker-model-monitor-analyzer');
    expect(modelMonitorImageUri('us-isof-south-1')).toBe('467912361380.dkr.ecr.us-isof-south-1.csp.hci.ic.gov/sagemaker-model-monitor-analyzer');
  });

  test('GovCloud and Regions the SDK lists no registry for fail at synth, naming the Regions it knows', () => {
    expect(() => modelMonitorImageUri('us-gov-west-1')).toThrow(/no registry known to this library in 'us-gov-west-1'; Regions with one: .*il-central-1/);
    expect(() => modelMonitorImageUri('ap-southeast-4')).toThrow(/no registry known to this library in 'ap-southeast-4'/);
  });

  test('a region-agnostic stack\'s mapping has every Region of the table, its domain from AWS::URLSuffix', () => {
    const stack = testStack({});
    const uri = new ModelMonitorImage().bind(stack, { grantPrincipal: undefined as any }).imageUri;
    expect(stack.resolve(uri)['Fn::Join'][1]).toContainEqual({ Ref: 'AWS::URLSuffix' });
    new CfnOutput(stack, 'Uri', { value: uri });
    const mapping = Template.fromStack(stack).toJSON().Mappings.ModelMonitorAnalyzerRegistries;
    expect(Object.keys(mapping).sort()).toEqual(Object.keys(SDK_MODEL_MONITOR_JSON_REGISTRIES).sort());
    expect(mapping['me-central-1']).toEqual({ account: '588750061953' });
  });
});
