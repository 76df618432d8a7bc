import assert from "node:assert/strict";
import { test } from "node:test";
import { parse } from "yaml";
import { KEPT_SECRET, redactSecrets, redactYamlSecrets, withFileSecrets } from "../../src/config/secrets.ts";

const FILE = `# the plant's gateway
http:
  auth: { token: the-api-token-0123456789 } # tests only
notifications:
  smtp:
    - host: mail1.plant.example
      auth: { user: gw, pass: "smtp-secret-1" }
    - host: mail2.plant.example
      auth: { user: gw, passFile: /etc/gw/smtp-pass }
`;

test("the page gets placeholders for inline secrets, in the value and in the YAML text", () => {
  const value = redactSecrets(parse(FILE)) as {
    http: { auth: { token: string } };
    notifications: { smtp: { auth: Record<string, string> }[] };
  };
  assert.equal(value.http.auth.token, KEPT_SECRET);
  assert.equal(value.notifications.smtp[0]?.auth.pass, KEPT_SECRET);
  assert.equal(value.notifications.smtp[1]?.auth.passFile, "/etc/gw/smtp-pass", "a file name is no secret");
  const text = redactYamlSecrets(FILE);
  assert.doesNotMatch(text, /the-api-token|smtp-secret-1/);
  assert.match(text, /# the plant's gateway/);
  assert.match(text, /# tests only/);
  assert.match(text, /\/etc\/gw\/smtp-pass/);
});

test("a placeholder that comes back keeps the file's secret; a secret typed anew replaces it", () => {
  const fileValue = parse(FILE);
  const edited = redactSecrets(fileValue) as {
    http: { auth: { token: string } };
    notifications: { smtp: { auth: Record<string, string> }[] };
  };
  edited.notifications.smtp[0]!.auth.pass = "typed-anew";
  const { value, issues } = withFileSecrets(edited, fileValue);
  assert.deepEqual(issues, []);
  const restored = value as typeof edited;
  assert.equal(restored.http.auth.token, "the-api-token-0123456789");
  assert.equal(restored.notifications.smtp[0]?.auth.pass, "typed-anew");
});

test("a placeholder where the file holds no secret is an issue with its path", () => {
  const { issues } = withFileSecrets(
    { notifications: { smtp: [{ host: "x", auth: { user: "u", pass: KEPT_SECRET } }] } },
    { notifications: { smtp: [] } },
  );
  assert.deepEqual(
    issues.map((i) => i.path),
    ["notifications.smtp[0].auth.pass"],
  );
});
