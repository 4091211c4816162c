// A small command-line front to the TypeScript reference implementation of age
// (the `age-encryption` npm package), for crypto/tests/node_interop.rs.
//
//   node age.mjs keygen                      prints an X25519 identity, then its recipient
//   node age.mjs keygen-pq                   the same for a post-quantum hybrid identity
//   node age.mjs recipient                   reads an identity on stdin, prints its recipient
//   node age.mjs encrypt RECIPIENT...        encrypts stdin to the recipients, to stdout
//   node age.mjs decrypt IDENTITY-FILE       decrypts stdin with the file's identities
//                                            (`#` comments and blank lines ignored), to stdout
//
// Errors go to stderr as one line, with exit status 1.

import { readFile } from "node:fs/promises";
import {
  Decrypter,
  Encrypter,
  generateHybridIdentity,
  generateX25519Identity,
  identityToRecipient,
} from "age-encryption";

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

function writeStdout(bytes) {
  return new Promise((resolve, reject) => {
    process.stdout.write(bytes, (err) => (err ? reject(err) : resolve()));
  });
}

async function printKeyPair(identity) {
  const recipient = await identityToRecipient(identity);
  await writeStdout(`${identity}\n${recipient}\n`);
}

async function main(argv) {
  const [command, ...args] = argv;
  switch (command) {
    case "keygen":
      return printKeyPair(await generateX25519Identity());
    case "keygen-pq":
      return printKeyPair(await generateHybridIdentity());
    case "recipient": {
      const identity = new TextDecoder().decode(await readStdin()).trim();
      return writeStdout(`${await identityToRecipient(identity)}\n`);
    }
    case "encrypt": {
      if (args.length === 0) throw new Error("encrypt needs at least one recipient");
      const e = new Encrypter();
      for (const r of args) e.addRecipient(r);
      return writeStdout(await e.encrypt(await readStdin()));
    }
    case "decrypt": {
      if (args.length !== 1) throw new Error("decrypt needs one identity file");
      const text = await readFile(args[0], "utf8");
      const d = new Decrypter();
      let count = 0;
      for (const line of text.split("\n").map((l) => l.trim())) {
        if (line === "" || line.startsWith("#")) continue;
        d.addIdentity(line);
        count++;
      }
      if (count === 0) throw new Error("the identity file holds no identity");
      return writeStdout(await d.decrypt(await readStdin()));
    }
    default:
      throw new Error(`unknown command ${JSON.stringify(command)}`);
  }
}

main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(`age.mjs: ${err && err.message ? err.message : err}\n`);
  process.exit(1);
});
