/** A KV value as shown to a user: parsed JSON when it is JSON, else text, else base64. */
export function decodeKvValue(bytes: Uint8Array): { encoding: 'json' | 'text' | 'base64'; value: unknown } {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (e) {
    if (e instanceof TypeError) return { encoding: 'base64', value: Buffer.from(bytes).toString('base64') };
    throw e;
  }
  try {
    return { encoding: 'json', value: JSON.parse(text) as unknown };
  } catch (e) {
    if (e instanceof SyntaxError) return { encoding: 'text', value: text };
    throw e;
  }
}
