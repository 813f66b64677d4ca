/**
 * Reload on a real subprocess: SIGHUP and POST /-/reload with a bad config keep the running
 * pipeline (it still delivers); a good config is swapped in without losing accepted items.
 */

import { assertEquals, assertStringIncludes } from "./support/assert.ts";
import { Profcol, tempConfig } from "./support/process.ts";

const config = (dir: string, tag: string) =>
  `receivers:
  test.receiver/in: {}
processors:
  test.processor/tag: { label: generation, value: ${tag} }
exporters:
  test.exporter/out: { output: ${dir}/out.jsonl }
service:
  pipelines:
    profiles:
      receivers: [test.receiver/in]
      processors: [test.processor/tag]
      exporters: [test.exporter/out]
  telemetry: { http: { listen_port: 0 } }
`;

async function start(dir: string) {
  const path = tempConfig(config(dir, "one"), dir);
  const portFile = `${dir}/push.port`;
  const proc = new Profcol(["run", "--config", path], {
    env: { PROFCOL_TEST_PUSH_PORT_FILE: portFile },
  });
  let admin: string;
  try {
    admin = await proc.adminUrl();
    await proc.waitFor(/collector started/);
  } catch (error) {
    await proc.kill();
    throw error;
  }
  const pushPort = Deno.readTextFileSync(portFile);
  const push = async (n: number) => {
    const response = await fetch(
      `http://127.0.0.1:${pushPort}/push?receiver=test.receiver/in&n=${n}`,
    );
    assertEquals(response.status, 200, await response.text());
  };
  return { proc, path, admin, push };
}

async function stop(proc: Profcol, dir: string) {
  proc.child.kill("SIGTERM");
  const status = await proc.exit();
  assertEquals(status.code, 0, proc.stderr);
  return Deno.readTextFileSync(`${dir}/out.jsonl`).trim().split("\n").map((line) =>
    JSON.parse(line).labels as Record<string, string>
  );
}

Deno.test("reload: SIGHUP with a bad config keeps the running pipeline; a good one is swapped in", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "profcol-reload-" });
  const { proc, path, push } = await start(dir);
  try {
    await push(1);
    Deno.writeTextFileSync(
      path,
      config(dir, "two").replace("max_age", "x").replace("label:", "lable:"),
    );
    proc.child.kill("SIGHUP");
    await proc.waitFor(/config reload failed, kept the running config/);
    assertStringIncludes(proc.stderr, 'Unknown key \\"lable\\"');
    await push(2);
    Deno.writeTextFileSync(path, config(dir, "two"));
    proc.child.kill("SIGHUP");
    await proc.waitFor(/msg="config reloaded"/);
    await push(3);
  } catch (error) {
    await proc.kill();
    throw error;
  }
  // The processor changed (new instance); the exporter is unchanged, so its queue held all.
  const items = await stop(proc, dir);
  assertEquals(items.map((l) => [l.n, l.generation]), [["1", "one"], ["2", "one"], ["3", "two"]]);
});

Deno.test("reload: POST /-/reload answers 400 with the reason and keeps the pipeline", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "profcol-reload-" });
  const { proc, path, admin, push } = await start(dir);
  try {
    Deno.writeTextFileSync(
      path,
      config(dir, "two").replace("[test.exporter/out]", "[test.exporter/missing]"),
    );
    const bad = await fetch(`${admin}/-/reload`, { method: "POST" });
    const text = await bad.text();
    assertEquals(bad.status, 400);
    assertStringIncludes(text, '"test.exporter/missing" is not defined under exporters');
    const ready = await fetch(`${admin}/-/ready`);
    assertEquals(ready.status, 200);
    await ready.body?.cancel();
    await push(1);
    Deno.writeTextFileSync(path, config(dir, "two"));
    const good = await fetch(`${admin}/-/reload`, { method: "POST" });
    assertEquals([good.status, await good.text()], [200, "config reloaded\n"]);
    await push(2);
  } catch (error) {
    await proc.kill();
    throw error;
  }
  const items = await stop(proc, dir);
  assertEquals(items.map((l) => [l.n, l.generation]), [["1", "one"], ["2", "two"]]);
});

/**
 * Publishes `text` the way the kubelet updates a ConfigMap volume: a new timestamped directory,
 * a `..data_tmp` symlink to it renamed over `..data` (atomic), the old directory removed. The
 * file the collector reads, `<dir>/config.yaml`, is a symlink to `..data/config.yaml` that never
 * changes itself.
 */
function kubeletPublish(dir: string, text: string, version: number): void {
  const versioned = `..2026_12_07_00_00_0${version}.000000001`;
  Deno.mkdirSync(`${dir}/${versioned}`);
  Deno.writeTextFileSync(`${dir}/${versioned}/config.yaml`, text);
  Deno.symlinkSync(versioned, `${dir}/..data_tmp`);
  Deno.renameSync(`${dir}/..data_tmp`, `${dir}/..data`);
  for (const entry of Deno.readDirSync(dir)) {
    if (entry.name.startsWith("..2026") && entry.name !== versioned) {
      Deno.removeSync(`${dir}/${entry.name}`, { recursive: true });
    }
  }
  try {
    Deno.lstatSync(`${dir}/config.yaml`);
  } catch {
    Deno.symlinkSync("..data/config.yaml", `${dir}/config.yaml`);
  }
}

Deno.test("reload: --watch-config sees a ConfigMap's ..data symlink swap; a bad config keeps the pipeline", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "profcol-watch-" });
  const volume = `${dir}/volume`;
  Deno.mkdirSync(volume);
  kubeletPublish(volume, config(dir, "one"), 1);
  const portFile = `${dir}/push.port`;
  const proc = new Profcol(["run", "--config", `${volume}/config.yaml`, "--watch-config"], {
    env: { PROFCOL_TEST_PUSH_PORT_FILE: portFile },
  });
  try {
    await proc.waitFor(/collector started/);
    const push = async (n: number) => {
      const port = Deno.readTextFileSync(portFile);
      const response = await fetch(
        `http://127.0.0.1:${port}/push?receiver=test.receiver/in&n=${n}`,
      );
      assertEquals(response.status, 200, await response.text());
    };
    await push(1);
    kubeletPublish(volume, config(dir, "two").replace("label:", "lable:"), 2);
    await proc.waitFor(/config reload failed, kept the running config/);
    await push(2);
    kubeletPublish(volume, config(dir, "two"), 3);
    await proc.waitFor(/msg="config reloaded"/);
    await push(3);
    // Touching the directory without changing the content does not reload again.
    Deno.writeTextFileSync(`${volume}/unrelated`, "x");
    await new Promise((r) => setTimeout(r, 500));
    assertEquals(proc.stderr.match(/config file changed; reloading/g)?.length, 2, proc.stderr);
  } catch (error) {
    await proc.kill();
    throw error;
  }
  const items = await stop(proc, dir);
  assertEquals(items.map((l) => [l.n, l.generation]), [["1", "one"], ["2", "one"], ["3", "two"]]);
});
