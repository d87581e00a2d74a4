// The aws-jwt-verify case of bench/run, speaking the protocol of bench-verify:
// `node verify.js FIXTURE` checks it accepts the token and refuses the bad ones,
// prints {"ready": [...]}, then answers each stdin line `CASE SECONDS`.
"use strict";

const fs = require("node:fs");
const readline = require("node:readline");
const { JwtVerifier } = require("aws-jwt-verify");
const { cognitoChecks } = require("./checks");

const fixture = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const verifier = JwtVerifier.create({
  issuer: fixture.iss,
  audience: null, // checked with token_use by cognitoChecks, as CognitoJwtVerifier does
  jwksUri: `${fixture.iss}/.well-known/jwks.json`, // never fetched: the JWKS is preloaded
  customJwtCheck: cognitoChecks({ tokenUse: "id", clientIds: [fixture.client_id] }),
});
verifier.cacheJwks(fixture.jwks);

const accepts = (token) => {
  try {
    verifier.verifySync(token);
    return true;
  } catch {
    return false;
  }
};
if (!accepts(fixture.token)) throw new Error("aws-jwt-verify refuses the good token");
for (const [name, token] of Object.entries(fixture.bad_tokens)) {
  if (accepts(token)) throw new Error(`aws-jwt-verify accepts the ${name} token`);
}
console.log(JSON.stringify({ ready: ["aws_jwt_verify"] }));

readline.createInterface({ input: process.stdin }).on("line", (line) => {
  const [name, seconds] = line.trim().split(/\s+/);
  if (name !== "aws_jwt_verify") throw new Error(`unknown case ${name}`);
  const budget = Number(seconds) * 1e9;
  const started = process.hrtime.bigint();
  let done = 0;
  let elapsed = 0;
  while (elapsed < budget) {
    for (let i = 0; i < 64; i++) verifier.verifySync(fixture.token);
    done += 64;
    elapsed = Number(process.hrtime.bigint() - started);
  }
  console.log(JSON.stringify({ case: name, verifications: done, seconds: elapsed / 1e9 }));
});
