/**
 * The pprof inside a multipart `/ingest` upload (docs/spec/pyroscope-wire.md §6.3: no `format`, `Content-Type:
 * multipart/form-data`, the profile in the file part `profile`), as the Pyroscope Go SDK sends
 * it: the part is rewritten and the form written again, every other part kept as it came
 * (name, file name, type, bytes). The new body gets a new boundary, hence a new Content-Type.
 *
 * @module
 */

/** Whether an ingest upload is a pprof multipart form (the server's format selection order). */
export function isPprofMultipart(
  format: string | undefined,
  contentType: readonly string[],
): boolean {
  if (format !== undefined && format !== "") return false;
  const type = (contentType[0] ?? "").toLowerCase();
  return type.includes("multipart/form-data");
}

/** A body and the Content-Type that describes it. */
export interface MultipartBody {
  readonly body: Uint8Array;
  readonly contentType: string;
}

/**
 * The form with its `profile` part replaced by `rewrite(profile)`; null when the form has no
 * profile file part or `rewrite` returned the same bytes. Throws when the body is not a
 * multipart form of `contentType`.
 */
export async function rewriteMultipartProfile(
  body: Uint8Array,
  contentType: string,
  rewrite: (profile: Uint8Array) => Uint8Array,
): Promise<MultipartBody | null> {
  const form = await new Response(body as BodyInit, { headers: { "content-type": contentType } })
    .formData();
  const profile = form.get("profile");
  if (!(profile instanceof File)) return null;
  const bytes = new Uint8Array(await profile.arrayBuffer());
  const rewritten = rewrite(bytes);
  if (rewritten === bytes) return null;
  const out = new FormData();
  for (const [name, value] of form.entries()) {
    if (value !== profile) out.append(name, value);
    else out.append(name, new File([rewritten as BlobPart], profile.name, { type: profile.type }));
  }
  const request = new Request("http://127.0.0.1/", { method: "POST", body: out });
  return {
    body: new Uint8Array(await request.arrayBuffer()),
    contentType: request.headers.get("content-type")!,
  };
}
