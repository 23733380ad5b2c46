/**
 * Awaits a store write, treating one expected error class as success: for controllers and bootstrap code
 * whose goal state is already reached when, say, the object exists (AlreadyExists) or is gone (NotFound).
 */
export async function tolerate(errorClass: new (...args: never[]) => Error, write: Promise<unknown>): Promise<void> {
  try {
    await write;
  } catch (err) {
    if (!(err instanceof errorClass)) throw err;
  }
}
