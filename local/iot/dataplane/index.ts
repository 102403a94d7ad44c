export { type DataPlaneDeps, DataPlaneServer } from './server.js';
