import { ResourceProfileError, ResourceProfileErrorCode } from "./resource-profile-error.js";

/**
 * An extended resource name also appears inside configuration keys
 * (`external-resource.<name>.amount`), so it cannot contain dots, list separators or spaces.
 */
const RESOURCE_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

/** Returns `name` if it is a valid extended resource name, else throws naming `field`. */
export function checkResourceName(field: string, name: string): string {
  if (!RESOURCE_NAME.test(name)) {
    throw new ResourceProfileError(
      ResourceProfileErrorCode.InvalidArgument,
      `${field}: ${JSON.stringify(name)} is not a valid extended resource name; ` +
        "use a letter followed by letters, digits, '_' or '-' (e.g. \"gpu\")",
    );
  }
  return name;
}
