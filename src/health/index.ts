// Endpoint health for the authoritative server: probes, state and filtered SVCB answers.

export { HealthMonitor, HealthConfigError, checkHealthOptions, DEFAULT_HEALTH, type HealthOptions, type EndpointHealth, type EndpointStatus, type MonitorOptions } from './monitor.js';
export { probeTargets, recordEndpoint, type ProbeTarget } from './targets.js';
export { healthySubset } from './filter.js';
export { servedTlsa } from './served-tlsa.js';
