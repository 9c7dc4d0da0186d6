/**
 * The transport-neutral request and response the contacts API works on. The Hono server and the
 * Lambda handlers each translate to and from these in one thin file.
 */

/** An HTTP request, as far as the contacts API needs to see it. */
export interface ApiRequest {
  method: string;
  /** The path as the client addressed it (with any API Gateway stage), for `Location`. */
  path: string;
  /** The `{id}` path parameter, when the route has one. */
  id?: string;
  /** Every value of a query parameter, in order (empty when absent). */
  query(name: string): string[];
  /** A request header by lower-case name. */
  header(name: string): string | undefined;
  /**
   * Reads the body, refusing (PayloadTooLargeError) more than `maxBytes`; null when there is none.
   * Called at most once, and only after the media type was accepted.
   */
  body(maxBytes: number): Promise<Uint8Array | null>;
}

/** An HTTP response: headers have lower-case names; body is already serialized. */
export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  body: string | null;
}
