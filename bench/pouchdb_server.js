// A PouchDB server (express-pouchdb) for the ingest benchmark's peer.
// Usage: node pouchdb_server.js PORT [leveldb DATA_DIR | memory]
// leveldb keeps databases on disk (what pouchdb-server deploys by default); memory keeps them
// in the process only (nothing survives a restart: a generous peer, not a deployment).
"use strict";
const path = require("path");
const modules = path.join(__dirname, ".pouchdb", "node_modules");
const express = require(path.join(modules, "express"));
const adapter = process.argv[3] || "leveldb";
const PouchDB = require(path.join(modules, "pouchdb-core"))
  .plugin(require(path.join(modules, `pouchdb-adapter-${adapter}`)))
  .plugin(require(path.join(modules, "pouchdb-mapreduce")))
  .plugin(require(path.join(modules, "pouchdb-replication")));
const expressPouchDB = require(path.join(modules, "express-pouchdb"));

const port = Number(process.argv[2] || 5984);
const options = { adapter };
if (adapter === "leveldb") {
  options.prefix = path.join(process.argv[4] || ".", path.sep);
}
const app = express();
app.use("/", expressPouchDB(PouchDB.defaults(options), {
  mode: "minimumForPouchDB",
  inMemoryConfig: true,
}));
app.listen(port, "127.0.0.1", () => console.log(`listening ${port}`));
