export { type BrokerDeps, MqttBroker } from './broker.js';
export {
  certificateIdOf,
  certificateProblem,
  loadTlsMaterial,
  RegistryView,
  type TlsMaterial,
} from './certs.js';
