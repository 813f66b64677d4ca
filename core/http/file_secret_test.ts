import { assertEquals, assertThrows } from "../../tests/support/assert.ts";
import { FileSecret } from "./file_secret.ts";

Deno.test("FileSecret: re-read when the file changes, at most once per recheck period", () => {
  const path = Deno.makeTempFileSync();
  try {
    Deno.writeTextFileSync(path, "one\n");
    const secret = new FileSecret("bearer_token_file", path, 1000);
    assertEquals(secret.value(0), "one");
    Deno.writeTextFileSync(path, "two-longer\n");
    assertEquals(secret.value(500), "one", "not rechecked within the period");
    assertEquals(secret.value(1500), "two-longer");
    assertEquals(secret.version, 2);
    assertEquals(secret.value(3000), "two-longer");
    assertEquals(secret.version, 2, "unchanged files are not read again");
  } finally {
    Deno.removeSync(path);
  }
});

Deno.test("FileSecret: a missing file names the field and the path", () => {
  const secret = new FileSecret("basic_auth.password_file", "/nonexistent/pw", 0);
  assertThrows(
    () => secret.value(),
    Error,
    "basic_auth.password_file: cannot read /nonexistent/pw",
  );
});
