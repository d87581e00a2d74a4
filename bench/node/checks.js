// The Cognito checks aws-jwt-verify's JwtVerifier leaves to the caller, so that the
// Node peers refuse what claimsgate refuses: `exp` and `iat` required, `iat` not in
// the future, `token_use` as configured, and the app client (`aud` or `client_id`).
"use strict";

function cognitoChecks({ tokenUse, clientIds }) {
  return ({ payload }) => {
    if (typeof payload.exp !== "number") throw new Error("exp is required");
    if (typeof payload.iat !== "number" || payload.iat > Date.now() / 1000) {
      throw new Error("iat is required and may not be in the future");
    }
    if (payload.token_use !== "id" && payload.token_use !== "access") {
      throw new Error("token_use must be id or access");
    }
    if (tokenUse !== "any" && payload.token_use !== tokenUse) {
      throw new Error(`token_use must be ${tokenUse}`);
    }
    const client = payload.token_use === "id" ? payload.aud : payload.client_id;
    if (!clientIds.includes(client)) throw new Error("not an allowed app client");
  };
}

module.exports = { cognitoChecks };
