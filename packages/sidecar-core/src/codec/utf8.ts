/** Shared instances: creating an encoder or decoder per element would dominate small tensors. */
export const utf8Encoder = new TextEncoder();

/** Fatal, so that bytes which are not UTF-8 are reported rather than replaced with U+FFFD. */
export const strictUtf8Decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * The length of `text` encoded as UTF-8 by TextEncoder, computed without encoding it, so a
 * caller can size one buffer for many strings and `encodeInto` each in place. A lone
 * surrogate counts 3 bytes: TextEncoder writes it as U+FFFD.
 */
export function utf8ByteLength(text: string): number {
  let length = 0;
  for (let index = 0; index < text.length; index++) {
    const unit = text.charCodeAt(index);
    if (unit < 0x80) length += 1;
    else if (unit < 0x800) length += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && (text.charCodeAt(index + 1) & 0xfc00) === 0xdc00) {
      length += 4;
      index++;
    } else length += 3;
  }
  return length;
}
