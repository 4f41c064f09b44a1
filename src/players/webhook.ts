/**
 * What every webhook receiver shares: the body of a POST that an `http in` node hands over, as a JSON object,
 * whatever form it came in; a body that is not one is a WebhookError. Knows nothing of Node-RED.
 */
import { isObject, type Obj } from '../core/values';

/** The largest body read (the plugin's bodies are a few KB). */
export const MAX_WEBHOOK_BYTES = 1024 * 1024;

export class WebhookError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookError';
  }
}

/** The body as an object: a JSON text, a Buffer of one, or an object already parsed by `http in`. */
export function webhookBody(payload: unknown, what: string): Obj {
  let value = payload;
  if (Buffer.isBuffer(value)) {
    if (value.length > MAX_WEBHOOK_BYTES) throw new WebhookError(`the ${what} body is over 1 MB`);
    value = value.toString('utf8');
  }
  if (typeof value === 'string') {
    if (value.length > MAX_WEBHOOK_BYTES) throw new WebhookError(`the ${what} body is over 1 MB`);
    try {
      value = JSON.parse(value) as unknown;
    } catch {
      throw new WebhookError(`the ${what} body is not JSON`);
    }
  }
  if (!isObject(value)) throw new WebhookError(`the ${what} body is not a JSON object`);
  return value;
}
