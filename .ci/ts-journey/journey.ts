// A TypeScript client (openapi-fetch over the openapi-typescript types of openapi/openapi.json)
// drives a short journey against the running service: sign up, confirm the e-mail from the mail
// the service wrote, log in, read the account, fail a validation and read the problem's `code`
// and `errors` through the generated types, create an organization and list organizations.
import { readdirSync, readFileSync } from "node:fs";
import createClient from "openapi-fetch";
import type { components, paths } from "./schema.js";

type Problem = components["schemas"]["Problem"];

const baseUrl = process.env.MANAGER_URL ?? "http://127.0.0.1:8000";
const mailDir = process.env.MANAGER_MAIL_DIR ?? ".data/mail";
const client = createClient<paths>({ baseUrl });

function fail(message: string): never {
    throw new Error(message);
}

async function mailedToken(address: string): Promise<string> {
    for (let attempt = 0; attempt < 100; attempt++) {
        let names: string[] = [];
        try {
            names = readdirSync(mailDir).filter((name) => name.endsWith(".eml"));
        } catch {
            names = [];
        }
        for (const name of names) {
            const mail = readFileSync(`${mailDir}/${name}`, "utf8") // quoted-printable
                .replace(/=\r?\n/g, "")
                .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
            const token = /confirm-email\?(?:lang=[a-z]+&(?:amp;)?)?token=([A-Za-z0-9_-]+)/.exec(mail);
            if (mail.includes(address) && token) return token[1];
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return fail(`no confirmation mail for ${address} in ${mailDir}`);
}

const email = `ts-${Date.now()}@example.org`;
const password = "a TypeScript journey 2026";

const signedUp = await client.POST("/v1/accounts", {
    body: {
        first_name: "Grace",
        last_name: "Hopper",
        email,
        password,
        language: "en",
        time_zone: "Europe/Zurich",
        address: { line1: "Rue du Rhône 1", postal_code: "1204", city: "Genève", country: "CH" },
    },
});
if (!signedUp.data) fail(`sign-up: ${JSON.stringify(signedUp.error)}`);
console.log(`signed up ${signedUp.data.email}`);

const token = await mailedToken(email);
const confirmed = await client.POST("/v1/account/email-confirmation", { body: { token } });
if (confirmed.response.status !== 204) fail(`confirmation: ${confirmed.response.status}`);

const login = await client.POST("/v1/auth/login", { body: { email, password } });
const tokens = login.data?.tokens ?? fail(`login: ${JSON.stringify(login.error)}`);
const headers = { Authorization: `Bearer ${tokens.access_token}` };

const me = await client.GET("/v1/account", { headers });
if (!me.data?.email_confirmed) fail("the account is not confirmed");
console.log(`logged in as ${me.data.first_name} ${me.data.last_name}`);

// A validation error, read as the document types it: problem+json with `code` and `errors`.
const invalid = await client.POST("/v1/organizations", {
    headers,
    body: { name: "", kind: "company" },
});
const problem: Problem = invalid.error ?? fail("an empty name was accepted");
if (invalid.response.headers.get("content-type") !== "application/problem+json") {
    fail(`a problem is served as ${invalid.response.headers.get("content-type")}`);
}
if (problem.status !== 422 || problem.code !== "validation_error") {
    fail(`unexpected problem ${JSON.stringify(problem)}`);
}
const field = problem.errors?.[0] ?? fail("the problem lists no field");
console.log(`refused: ${problem.code} at ${field.loc.join(".")}: ${field.msg}`);

const created = await client.POST("/v1/organizations", {
    headers,
    body: { name: "TypeScript Sàrl", kind: "company" },
});
if (!created.data) fail(`organization: ${JSON.stringify(created.error)}`);
const listed = await client.GET("/v1/organizations", { headers, params: { query: { limit: 10 } } });
const names = (listed.data?.data ?? []).map((organization) => organization.name);
if (!names.includes("TypeScript Sàrl")) fail(`organizations: ${names.join(", ")}`);
console.log(`organizations: ${names.join(", ")}; has_more=${listed.data?.has_more}`);

// A bad cursor is a documented 400 problem too.
const badCursor = await client.GET("/v1/organizations", {
    headers,
    params: { query: { cursor: "not-a-cursor" } },
});
if (badCursor.error?.code !== "invalid_cursor") fail(`bad cursor: ${badCursor.response.status}`);
console.log("the TypeScript journey passed");
