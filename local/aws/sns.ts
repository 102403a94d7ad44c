import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { SNS } from '../../protocol/index.js';
import { closeServer, listenLoopback } from './servers.js';

export interface SnsMessage {
  messageId: string;
  topicArn: string;
  subject?: string;
  message: string;
  /** String message attributes (what subscription filter policies match on). */
  attributes: Record<string, string>;
  publishedAt: number;
  /** FIFO topics only. */
  messageGroupId?: string;
  deduplicationId?: string;
}

export interface LocalSnsOptions {
  /** Print each message to stdout as it arrives. */
  print?: boolean;
  /** POST each message as JSON to this URL (e.g. a webhook under test). */
  forwardUrl?: string;
  now?: () => number;
}

export interface LocalSns {
  endpoint: string;
  readonly published: readonly SnsMessage[];
  topicArn(name: string): string;
  onPublish(listener: (message: SnsMessage) => void): () => void;
  stop(): Promise<void>;
}

const XMLNS = 'http://sns.amazonaws.com/doc/2010-03-31/';

const escapeXml = (s: string) =>
  s.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!,
  );

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** `MessageAttributes.entry.N.Name` / `.Value.StringValue` of the SNS query protocol. */
function messageAttributes(form: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (let n = 1; form.has(`MessageAttributes.entry.${n}.Name`); n++) {
    const name = form.get(`MessageAttributes.entry.${n}.Name`)!;
    const value =
      form.get(`MessageAttributes.entry.${n}.Value.StringValue`) ??
      form.get(`MessageAttributes.entry.${n}.Value.BinaryValue`) ??
      '';
    out[name] = value;
  }
  return out;
}

function reply(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/xml' });
  res.end(body);
}

const publishResponse = (messageId: string, requestId: string) =>
  `<PublishResponse xmlns="${XMLNS}"><PublishResult><MessageId>${messageId}</MessageId></PublishResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></PublishResponse>`;

const invalidParameter = (message: string, requestId: string) =>
  `<ErrorResponse xmlns="${XMLNS}"><Error><Type>Sender</Type><Code>InvalidParameter</Code><Message>${escapeXml(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;

/**
 * The FIFO rules of a Publish (topics named `*.fifo`, content-based de-duplication off, as the CDK
 * app deploys them): MessageGroupId and MessageDeduplicationId are required, at most 128 characters.
 */
function fifoPublish(
  arn: string,
  form: URLSearchParams,
  requestId: string,
): { error?: string; dedupKey?: string } {
  const group = form.get('MessageGroupId');
  const dedup = form.get('MessageDeduplicationId');
  if (!arn.endsWith('.fifo')) {
    if (group || dedup)
      return {
        error: invalidParameter(
          'MessageGroupId and MessageDeduplicationId are only for FIFO topics',
          requestId,
        ),
      };
    return {};
  }
  if (!group)
    return { error: invalidParameter('The MessageGroupId parameter is required for FIFO topics', requestId) };
  if (!dedup) {
    return {
      error: invalidParameter(
        'The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly',
        requestId,
      ),
    };
  }
  if (group.length > SNS.maxDeduplicationIdChars || dedup.length > SNS.maxDeduplicationIdChars) {
    return {
      error: invalidParameter(
        'MessageGroupId and MessageDeduplicationId are at most 128 characters',
        requestId,
      ),
    };
  }
  return { dedupKey: `${arn}\n${dedup}` };
}

/**
 * An SNS endpoint that records every Publish: `@aws-sdk/client-sns` pointed at `endpoint` works
 * unchanged (query protocol: form-encoded request, XML reply). Implements Publish and CreateTopic,
 * the two calls towerwatch makes; any other action gets a clear InvalidAction error.
 */
export async function startLocalSns(options: LocalSnsOptions = {}): Promise<LocalSns> {
  const published: SnsMessage[] = [];
  const listeners = new Set<(m: SnsMessage) => void>();
  const now = options.now ?? Date.now;
  const topicArn = (name: string) => `arn:aws:sns:local:000000000000:${name}`;
  /** FIFO topics: deduplication id → when it was first accepted, and the message id SNS returned. */
  const accepted = new Map<string, { at: number; messageId: string }>();

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const form = new URLSearchParams(await readBody(req));
    const action = form.get('Action');
    const requestId = randomUUID();
    if (action === 'CreateTopic') {
      const arn = topicArn(form.get('Name') ?? 'topic');
      return reply(
        res,
        200,
        `<CreateTopicResponse xmlns="${XMLNS}"><CreateTopicResult><TopicArn>${escapeXml(arn)}</TopicArn></CreateTopicResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></CreateTopicResponse>`,
      );
    }
    if (action === 'Publish') {
      const arn = form.get('TopicArn') ?? form.get('TargetArn') ?? '';
      const fifo = fifoPublish(arn, form, requestId);
      if (fifo.error) return reply(res, 400, fifo.error);
      if (fifo.dedupKey) {
        const seen = accepted.get(fifo.dedupKey);
        if (seen && now() - seen.at < SNS.fifoDeduplicationWindowMs) {
          // Accepted and dropped, as SNS FIFO does: the caller sees success, subscribers see nothing.
          return reply(res, 200, publishResponse(seen.messageId, requestId));
        }
      }
      const message: SnsMessage = {
        messageId: randomUUID(),
        topicArn: form.get('TopicArn') ?? form.get('TargetArn') ?? '',
        message: form.get('Message') ?? '',
        attributes: messageAttributes(form),
        publishedAt: now(),
      };
      const subject = form.get('Subject');
      if (subject) message.subject = subject;
      if (fifo.dedupKey) {
        message.messageGroupId = form.get('MessageGroupId')!;
        message.deduplicationId = form.get('MessageDeduplicationId')!;
        accepted.set(fifo.dedupKey, { at: now(), messageId: message.messageId });
      }
      published.push(message);
      for (const listener of listeners) listener(message);
      if (options.print) console.log(`[sns] ${message.subject ?? '(no subject)'}\n${message.message}`);
      if (options.forwardUrl) {
        fetch(options.forwardUrl, { method: 'POST', body: JSON.stringify(message) }).catch((e: Error) =>
          console.error(`[sns] forward to ${options.forwardUrl} failed: ${e.message}`),
        );
      }
      return reply(res, 200, publishResponse(message.messageId, requestId));
    }
    reply(
      res,
      400,
      `<ErrorResponse xmlns="${XMLNS}"><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>local SNS supports Publish and CreateTopic, not ${escapeXml(String(action))}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
    );
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: Error) =>
      reply(
        res,
        500,
        `<ErrorResponse><Error><Message>${escapeXml(e.message)}</Message></Error></ErrorResponse>`,
      ),
    );
  });
  const endpoint = await listenLoopback(server);
  return {
    endpoint,
    published,
    topicArn,
    onPublish(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stop: () => closeServer(server),
  };
}
