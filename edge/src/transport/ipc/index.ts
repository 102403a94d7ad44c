export { IpcConfigShadow } from './config-shadow.js';
export { IpcAuthError, IpcProtocolError, IpcServiceError } from './errors.js';
export { encodeFrame, type Frame, FrameReader, HEADER, MESSAGE_FLAGS, MESSAGE_TYPE } from './frames.js';
export {
  EventStreamRpcConnection,
  GREENGRASS_NAMESPACE,
  RPC_VERSION,
  type RpcConnectionOptions,
  type RpcReply,
  type RpcStream,
} from './rpc-connection.js';
export {
  IpcTransport,
  type IpcTransportOptions,
  NUCLEUS_SOCKET_ENV,
  NUCLEUS_TOKEN_ENV,
} from './transport.js';
