export { ServiceProcess, type ServiceSpec } from './service-process.js';
export { readUpOptions, systemExtension, type UpOptions, up } from './up.js';
