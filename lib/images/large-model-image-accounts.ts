/*
 * The large-model inference images AWS publishes, by Region: Hugging Face Text Generation
 * Inference (`huggingface-pytorch-tgi-inference`) and Large Model Inference on DJL Serving
 * (`djl-inference`), with the tag of each version this library knows.
 *
 * Source: the SageMaker Python SDK's image URI configuration,
 * aws/sagemaker-python-sdk@a2481266 (August 2026)
 * `sagemaker-core/src/sagemaker/core/image_uri_config/huggingface-llm.json` (TGI 2.0.0 to 3.3.6: tag
 * `<tag_prefix>-gpu-<py_version>-<container_version>`) and `djl-lmi.json` (LMI 0.33.0 to 0.36.0:
 * tag `<tag_prefix>`). Every version listed here has the same registry table in that source;
 * where a Region is also in the Deep Learning Container table (deep-learning-container-accounts.ts)
 * the account is the same. test/image/large-model-image.test.ts keeps these tables equal to a
 * copy of the source's values (test/image/fixtures/sagemaker-python-sdk-large-model-images.json).
 */

/** The registry account of `huggingface-pytorch-tgi-inference` per Region. */
export const TGI_REGISTRY_ACCOUNTS: { readonly [region: string]: string } = {
  'af-south-1': '626614931356',
  'ap-east-1': '871362719292',
  'ap-east-2': '975050140332',
  'ap-northeast-1': '763104351884',
  'ap-northeast-2': '763104351884',
  'ap-northeast-3': '364406365360',
  'ap-south-1': '763104351884',
  'ap-south-2': '772153158452',
  'ap-southeast-1': '763104351884',
  'ap-southeast-2': '763104351884',
  'ap-southeast-3': '907027046896',
  'ap-southeast-4': '457447274322',
  'ap-southeast-5': '550225433462',
  'ap-southeast-6': '633930458069',
  'ap-southeast-7': '590183813437',
  'ca-central-1': '763104351884',
  'ca-west-1': '204538143572',
  'cn-north-1': '727897471807',
  'cn-northwest-1': '727897471807',
  'eu-central-1': '763104351884',
  'eu-central-2': '380420809688',
  'eu-north-1': '763104351884',
  'eu-south-1': '692866216735',
  'eu-south-2': '503227376785',
  'eu-west-1': '763104351884',
  'eu-west-2': '763104351884',
  'eu-west-3': '763104351884',
  'il-central-1': '780543022126',
  'me-central-1': '914824155844',
  'me-south-1': '217643126080',
  'mx-central-1': '637423239942',
  'sa-east-1': '763104351884',
  'us-east-1': '763104351884',
  'us-east-2': '763104351884',
  'us-gov-east-1': '446045086412',
  'us-gov-west-1': '442386744353',
  'us-iso-east-1': '886529160074',
  'us-isob-east-1': '094389454867',
  'us-isof-east-1': '303241398832',
  'us-isof-south-1': '454834333376',
  'us-west-1': '763104351884',
  'us-west-2': '763104351884',
};

/** The registry account of `djl-inference` (LMI) per Region. */
export const DJL_LMI_REGISTRY_ACCOUNTS: { readonly [region: string]: string } = {
  'af-south-1': '626614931356',
  'ap-east-1': '871362719292',
  'ap-east-2': '975050140332',
  'ap-northeast-1': '763104351884',
  'ap-northeast-2': '763104351884',
  'ap-northeast-3': '364406365360',
  'ap-south-1': '763104351884',
  'ap-south-2': '772153158452',
  'ap-southeast-1': '763104351884',
  'ap-southeast-2': '763104351884',
  'ap-southeast-3': '907027046896',
  'ap-southeast-4': '457447274322',
  'ap-southeast-5': '550225433462',
  'ap-southeast-6': '633930458069',
  'ap-southeast-7': '590183813437',
  'ca-central-1': '763104351884',
  'ca-west-1': '204538143572',
  'cn-north-1': '727897471807',
  'cn-northwest-1': '727897471807',
  'eu-central-1': '763104351884',
  'eu-central-2': '380420809688',
  'eu-isoe-west-1': '371248457586',
  'eu-north-1': '763104351884',
  'eu-south-1': '692866216735',
  'eu-south-2': '503227376785',
  'eu-west-1': '763104351884',
  'eu-west-2': '763104351884',
  'eu-west-3': '763104351884',
  'eusc-de-east-1': '204133271717',
  'il-central-1': '780543022126',
  'me-central-1': '914824155844',
  'me-south-1': '217643126080',
  'mx-central-1': '637423239942',
  'sa-east-1': '763104351884',
  'us-east-1': '763104351884',
  'us-east-2': '763104351884',
  'us-gov-east-1': '446045086412',
  'us-gov-west-1': '442386744353',
  'us-iso-east-1': '886529160074',
  'us-isob-east-1': '094389454867',
  'us-isof-east-1': '303241398832',
  'us-isof-south-1': '454834333376',
  'us-west-1': '763104351884',
  'us-west-2': '763104351884',
};

/** The image tag of each Hugging Face TGI version. */
export const TGI_TAGS: { readonly [tgiVersion: string]: string } = {
  '2.0.0': '2.1.1-tgi2.0.0-gpu-py310-cu121-ubuntu22.04',
  '2.0.1': '2.1.1-tgi2.0.1-gpu-py310-cu121-ubuntu22.04',
  '2.0.2': '2.3.0-tgi2.0.2-gpu-py310-cu121-ubuntu22.04',
  '2.2.0': '2.3.0-tgi2.2.0-gpu-py310-cu121-ubuntu22.04-v2.0',
  '2.3.1': '2.4.0-tgi2.3.1-gpu-py311-cu124-ubuntu22.04',
  '2.4.0': '2.4.0-tgi2.4.0-gpu-py311-cu124-ubuntu22.04-v2.2',
  '3.0.1': '2.4.0-tgi3.0.1-gpu-py311-cu124-ubuntu22.04-v2.1',
  '3.1.1': '2.6.0-tgi3.1.1-gpu-py311-cu124-ubuntu22.04',
  '3.2.0': '2.6.0-tgi3.2.0-gpu-py311-cu124-ubuntu22.04',
  '3.2.3': '2.6.0-tgi3.2.3-gpu-py311-cu124-ubuntu22.04',
  '3.3.4': '2.7.0-tgi3.3.4-gpu-py311-cu124-ubuntu22.04',
  '3.3.6': '2.7.0-tgi3.3.6-gpu-py311-cu124-ubuntu22.04',
};

/** The image tag of each DJL Serving version of the LMI container. */
export const DJL_LMI_TAGS: { readonly [djlVersion: string]: string } = {
  '0.33.0': '0.33.0-lmi15.0.0-cu128',
  '0.34.0': '0.34.0-lmi16.0.0-cu128',
  '0.35.0': '0.35.0-lmi17.0.0-cu128',
  '0.36.0': '0.36.0-lmi27.0.0-cu130',
};
