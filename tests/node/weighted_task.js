// A Node.js user of clarifai-nodejs-grpc against the fake: unmodified ClarifaiStub.grpc(), reaching a TLS fake
// through CLARIFAI_GRPC_BASE and GRPC_DEFAULT_SSL_ROOTS_FILE_PATH (both honoured by the client / grpc-js).
// Creates a WEIGHTED PARTITIONED task over six inputs, then each labeler drains their share with LABEL_START,
// a task annotation per input and LABEL_SUBMIT. Prints one JSON line: what each labeler labeled.
const { ClarifaiStub, grpc } = require("clarifai-nodejs-grpc");

const stub = ClarifaiStub.grpc();
const app = { user_id: "owner", app_id: "main" };
const SUCCESS = 10000;

function call(method, request, pat) {
  const metadata = new grpc.Metadata();
  metadata.set("authorization", "Key " + pat);
  return new Promise((resolve, reject) => {
    stub[method](request, metadata, (error, response) => {
      if (error) return reject(error);
      if (response.status.code !== SUCCESS) {
        return reject(new Error(`${method}: ${response.status.code} ${response.status.details}`));
      }
      resolve(response);
    });
  });
}

async function main() {
  const inputs = [0, 1, 2, 3, 4, 5].map((n) => ({ id: `in-${n}`, data: { text: { raw: `text ${n}` } } }));
  await call("PostInputs", { user_app_id: app, inputs }, "owner-pat");
  const task = {
    type: "CONCEPTS_CLASSIFICATION",
    input_source: { type: "ALL_INPUTS" },
    concepts: [{ concept: { id: "water" } }],
    review: { strategy: "NONE" },
    worker: {
      strategy: "PARTITIONED",
      workers: [{ user: { id: "labeler-1" } }, { user: { id: "labeler-2" } }],
      partitioned_strategy_info: {
        type: "WEIGHTED",
        workers_per_input: 1,
        // google.protobuf.Struct through the client's proto loader: a Value's kind is spelled numberValue
        weights: { fields: { "labeler-1": { numberValue: 2 }, "labeler-2": { numberValue: 1 } } },
      },
    },
  };
  const created = (await call("PostTasks", { user_app_id: app, tasks: [task] }, "owner-pat")).tasks[0];
  const labeled = {};
  for (const labeler of ["labeler-1", "labeler-2"]) {
    const pat = `${labeler}-pat`;
    labeled[labeler] = [];
    for (;;) {
      const start = { user_app_id: app, task_id: created.id, action: "LABEL_START" };
      const batch = (await call("PutTaskAssignments", start, pat)).task_assignments;
      if (batch.length === 0) break;
      for (const assignment of batch) {
        const inputId = assignment.input.id;
        const annotation = {
          input_id: inputId,
          task_id: created.id,
          data: { concepts: [{ id: "water", value: 1 }] },
        };
        await call("PostAnnotations", { user_app_id: app, annotations: [annotation] }, pat);
        const submit = { user_app_id: app, task_id: created.id, action: "LABEL_SUBMIT", input_id: inputId };
        await call("PutTaskAssignments", submit, pat);
        labeled[labeler].push(inputId);
      }
    }
  }
  console.log(JSON.stringify({ task_id: created.id, labeled }));
}

main().catch((error) => {
  console.error(error.message || error);
  process.exit(1);
});
