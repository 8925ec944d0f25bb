/** The device console, the pure services that live on `E`, and the one global the host reads. */
export const log = (text: string): void => console.log(text);
export const crc32 = (data: string | Uint8Array): number => E.CRC32(data);
/** Sum of the bytes: native (a JS loop over bytes costs ~70k instructions an element on the interpreter). */
export const sum: (data: Uint8Array) => number = E.sum;
/** Publish `value` as a global: the kernel's status function, read by the host over the REPL. */
export const publish = (name: string, value: unknown): void => {
  (global as unknown as Record<string, unknown>)[name] = value;
};
