// @countersign/core/testing: conformance suites, a test clock, a recording transport, fixtures.

export {
  type CredentialBrokerConformanceOptions,
  type CredentialBrokerHarness,
  runCredentialBrokerConformance,
  sampleCredentialRequest,
} from './credential-broker-conformance.js';
export { sampleDraft, sampleGrant, sampleRequest } from './fixtures.js';
export { type EmulatedOnCall, type PagerDutyEmulator, startPagerDutyEmulator } from './pagerduty-emulator.js';
export { type PauseResumeConformanceOptions, runPauseResumeConformance } from './pause-resume-conformance.js';
export { createRecordingTransport, type RecordingTransport } from './recording-transport.js';
export type { ConformanceRunner, Matchers } from './runner.js';
export { runStoreConformance, type StoreConformanceOptions } from './store-conformance/index.js';
export { createTestClock, type TestClock } from './test-clock.js';
export {
  runTransportConformance,
  type TransportConformanceOptions,
  type TransportHarness,
} from './transport-conformance.js';
