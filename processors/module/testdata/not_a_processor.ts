// Exports something that was not made with defineProcessor.
export default { type: "fake", kind: "processor" };
