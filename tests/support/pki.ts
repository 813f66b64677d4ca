/**
 * A throwaway PKI for TLS tests, made with `openssl` (Debian's, always present where Deno
 * runs here): a CA, a server certificate for 127.0.0.1 and localhost, and a client
 * certificate, all signed by the CA, plus a second CA nobody trusts.
 *
 * @module
 */

/** Paths and PEM text of the generated material. */
export interface TestPki {
  dir: string;
  caFile: string;
  caPem: string;
  otherCaPem: string;
  serverCertFile: string;
  serverKeyFile: string;
  serverCertPem: string;
  serverKeyPem: string;
  clientCertFile: string;
  clientKeyFile: string;
  clientCertPem: string;
  clientKeyPem: string;
  cleanup(): void;
}

async function openssl(dir: string, ...args: string[]): Promise<void> {
  const out = await new Deno.Command("openssl", { args, cwd: dir, stdout: "null", stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(`openssl ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
}

/** Generates a fresh PKI in a temporary directory. */
export async function makeTestPki(): Promise<TestPki> {
  const dir = Deno.makeTempDirSync({ prefix: "profcol-pki-" });
  const ca = async (name: string) => {
    await openssl(
      dir,
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "2",
      "-subj",
      `/CN=${name}`,
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.crt`,
    );
  };
  const leaf = async (name: string, ext: string) => {
    await openssl(
      dir,
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-subj",
      `/CN=${name}`,
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.csr`,
    );
    Deno.writeTextFileSync(`${dir}/${name}.ext`, ext);
    await openssl(
      dir,
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-days",
      "2",
      "-extfile",
      `${name}.ext`,
      "-out",
      `${name}.crt`,
    );
  };
  await ca("ca");
  await ca("other-ca");
  await leaf(
    "server",
    "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n",
  );
  await leaf("client", "extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n");
  const read = (file: string) => Deno.readTextFileSync(`${dir}/${file}`);
  return {
    dir,
    caFile: `${dir}/ca.crt`,
    caPem: read("ca.crt"),
    otherCaPem: read("other-ca.crt"),
    serverCertFile: `${dir}/server.crt`,
    serverKeyFile: `${dir}/server.key`,
    serverCertPem: read("server.crt"),
    serverKeyPem: read("server.key"),
    clientCertFile: `${dir}/client.crt`,
    clientKeyFile: `${dir}/client.key`,
    clientCertPem: read("client.crt"),
    clientKeyPem: read("client.key"),
    cleanup: () => Deno.removeSync(dir, { recursive: true }),
  };
}
