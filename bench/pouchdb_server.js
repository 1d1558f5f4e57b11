// A PouchDB server (express-pouchdb over the in-memory adapter) for the ingest benchmark's peer.
"use strict";
const path = require("path");
const modules = path.join(__dirname, ".pouchdb", "node_modules");
const express = require(path.join(modules, "express"));
const PouchDB = require(path.join(modules, "pouchdb-core"))
  .plugin(require(path.join(modules, "pouchdb-adapter-memory")))
  .plugin(require(path.join(modules, "pouchdb-mapreduce")))
  .plugin(require(path.join(modules, "pouchdb-replication")));
const expressPouchDB = require(path.join(modules, "express-pouchdb"));

const port = Number(process.argv[2] || 5984);
const app = express();
app.use("/", expressPouchDB(PouchDB.defaults({ adapter: "memory" }), {
  mode: "minimumForPouchDB",
  inMemoryConfig: true,
}));
app.listen(port, "127.0.0.1", () => console.log(`listening ${port}`));
