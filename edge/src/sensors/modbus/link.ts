import type { ModbusConnection } from '../../../../protocol/index.js';

/** The part of modbus-serial's client the sources use; injectable so RTU can be exercised without a serial port. */
export interface ModbusClient {
  isOpen: boolean;
  connectTCP(host: string, options: { port: number; timeout?: number }): Promise<void>;
  connectRTUBuffered(
    path: string,
    options: { baudRate: number; parity: 'none' | 'even' | 'odd'; dataBits: number; stopBits: number },
  ): Promise<void>;
  setID(id: number): void;
  setTimeout(ms: number): void;
  readHoldingRegisters(address: number, length: number): Promise<{ data: number[] }>;
  readInputRegisters(address: number, length: number): Promise<{ data: number[] }>;
  close(callback: () => void): void;
}

export type ModbusClientFactory = () => ModbusClient | Promise<ModbusClient>;

/**
 * Loaded on first use: modbus-serial and its serial bindings cost ~7 MB of RSS that a tower without
 * Modbus sensors should not pay. It is CommonJS: under NodeNext its types sit on `.default`, which
 * the package also sets at runtime.
 */
export const defaultModbusClient: ModbusClientFactory = async () => {
  const { default: ModbusRTU } = await import('modbus-serial');
  return new ModbusRTU.default() as unknown as ModbusClient;
};

export interface RegisterRead {
  unitId: number;
  table: 'holding' | 'input';
  address: number;
  count: number;
}

/**
 * One Modbus connection shared by every sensor on it. Requests go one at a time: a serial line
 * carries one transaction at a time and many TCP gateways drop concurrent ones. A failed request
 * drops the connection so the next one reconnects.
 */
export class ModbusLink {
  private client: ModbusClient | undefined;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly connection: ModbusConnection,
    private readonly timeoutMs: number,
    private readonly createClient: ModbusClientFactory = defaultModbusClient,
  ) {}

  read(request: RegisterRead, signal?: AbortSignal): Promise<number[]> {
    const job = this.tail.then(() => {
      if (signal?.aborted) throw new Error('read timed out while queued');
      return this.transact(request);
    });
    this.tail = job.catch(() => undefined);
    return job;
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client?.isOpen) await new Promise<void>((resolve) => client.close(() => resolve()));
  }

  private async transact(request: RegisterRead): Promise<number[]> {
    try {
      const client = await this.connected();
      client.setID(request.unitId);
      const result =
        request.table === 'holding'
          ? await client.readHoldingRegisters(request.address, request.count)
          : await client.readInputRegisters(request.address, request.count);
      return result.data;
    } catch (e) {
      await this.close().catch(() => undefined);
      throw e;
    }
  }

  private async connected(): Promise<ModbusClient> {
    if (this.client?.isOpen) return this.client;
    const client = await this.createClient();
    const c = this.connection;
    if (c.kind === 'tcp') {
      await client.connectTCP(c.host, { port: c.port, timeout: this.timeoutMs });
    } else {
      await client.connectRTUBuffered(c.path, {
        baudRate: c.baudRate,
        parity: c.parity,
        dataBits: c.dataBits,
        stopBits: c.stopBits,
      });
    }
    client.setTimeout(this.timeoutMs);
    this.client = client;
    return client;
  }
}

export function connectionKey(c: ModbusConnection): string {
  return c.kind === 'tcp' ? `tcp://${c.host}:${c.port}` : `rtu://${c.path}`;
}

/** Hands out one link per connection. */
export class ModbusLinkPool {
  private readonly links = new Map<string, ModbusLink>();

  constructor(private readonly createClient: ModbusClientFactory = defaultModbusClient) {}

  get(connection: ModbusConnection, timeoutMs: number): ModbusLink {
    const key = connectionKey(connection);
    let link = this.links.get(key);
    if (!link) {
      link = new ModbusLink(connection, timeoutMs, this.createClient);
      this.links.set(key, link);
    }
    return link;
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.links.values()].map((l) => l.close()));
    this.links.clear();
  }
}
