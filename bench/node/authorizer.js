// The Node peer of functions/authorizer for the cold-start and memory measurements:
// the same TOKEN decisions (every route of the default table in the policy, Allow or
// Deny) with aws-jwt-verify, and a minimal Lambda runtime loop as the Node runtime has.
// Configured like the Rust one: TOKEN_ISSUERS (one issuer), JWKS_URI, COGNITO_CLIENT_IDS.
"use strict";

const http = require("node:http");
const { JwtVerifier } = require("aws-jwt-verify");
const { SimpleJwksCache } = require("aws-jwt-verify/jwk");
const { cognitoChecks } = require("./checks");

const ROUTES = [
  ["GET", "/dogs", ["dogs"]],
  ["GET", "/cats", ["cats"]],
  ["GET", "/me/claims", "*"],
];
const runtimeApi = `http://${process.env.AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime`;
const agent = new http.Agent({ keepAlive: true });

// aws-jwt-verify's own fetcher speaks https only; the bench serves the JWKS over
// http on loopback to both authorizers, so no TLS handshake favours either.
function request(url, { method = "GET", body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end(body);
  });
}
const httpFetcher = {
  async fetch(uri) {
    const res = await request(uri);
    if (res.status !== 200) throw new Error(`JWKS fetch answered ${res.status}`);
    return res.body.buffer.slice(res.body.byteOffset, res.body.byteOffset + res.body.byteLength);
  },
};

const issuer = process.env.TOKEN_ISSUERS;
const verifier = JwtVerifier.create(
  {
    issuer,
    audience: null,
    jwksUri: process.env.JWKS_URI || `${issuer}/.well-known/jwks.json`,
    customJwtCheck: cognitoChecks({
      tokenUse: process.env.TOKEN_USE || "any",
      clientIds: (process.env.COGNITO_CLIENT_IDS || "").split(",").map((s) => s.trim()).filter(Boolean),
    }),
  },
  { jwksCache: new SimpleJwksCache({ fetcher: httpFetcher }) },
);

const unauthorized = () => Object.assign(new Error("Unauthorized"), { name: "Unauthorized" });

async function handle(event) {
  const match = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/.exec(event.authorizationToken || "");
  if (!match) throw unauthorized();
  let claims;
  try {
    claims = await verifier.verify(match[1]);
  } catch {
    throw unauthorized();
  }
  const arn = /^(arn:[\w-]+:execute-api:[\w-]+:\d+:[\w-]+\/[\w-]+\/)([A-Z]+)(\/.*)$/.exec(event.methodArn || "");
  if (!arn) throw unauthorized();
  const allow = [];
  const deny = [];
  for (const [method, path, pets] of ROUTES) {
    (pets === "*" || pets.includes(claims.pet_preference) ? allow : deny).push(`${arn[1]}${method}${path}`);
  }
  const statement = (effect, resource) => ({ Action: "execute-api:Invoke", Effect: effect, Resource: resource });
  return {
    principalId: claims.sub,
    policyDocument: {
      Version: "2012-10-17",
      Statement: [allow.length && statement("Allow", allow), deny.length && statement("Deny", deny)].filter(Boolean),
    },
    context: {
      sub: claims.sub,
      username: claims["cognito:username"] || claims.username || "",
      pet_preference: claims.pet_preference || "",
      token_use: claims.token_use,
      client_id: claims.token_use === "id" ? claims.aud : claims.client_id,
      scope: claims.scope || "",
    },
  };
}

async function main() {
  try {
    await verifier.hydrate();
  } catch (e) {
    await request(`${runtimeApi}/init/error`, {
      method: "POST",
      body: JSON.stringify({ errorType: "Runtime.InitError", errorMessage: e.message }),
    });
    process.exit(1);
  }
  for (;;) {
    const next = await request(`${runtimeApi}/invocation/next`);
    const id = next.headers["lambda-runtime-aws-request-id"];
    let path = "response";
    let answer;
    try {
      answer = await handle(JSON.parse(next.body));
    } catch (e) {
      path = "error";
      answer = { errorType: e.name, errorMessage: e.message };
    }
    await request(`${runtimeApi}/invocation/${id}/${path}`, { method: "POST", body: JSON.stringify(answer) });
  }
}

main();
