/**
 * Kept only for `lib/workflow/training-workflow.ts`, whose promotion still names a bare
 * endpoint: the variant helpers live in `lib/hosting/private/variants.ts`. Remove this file
 * when the workflow promotes through a `RealtimeEndpoint`.
 */
export { generatedEndpointName } from '../hosting/private/variants';
