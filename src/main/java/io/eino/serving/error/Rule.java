package io.eino.serving.error;

import java.util.Locale;

import static io.eino.serving.error.ErrorTier.CAPACITY;
import static io.eino.serving.error.ErrorTier.INPUT;
import static io.eino.serving.error.ErrorTier.MODEL;
import static io.eino.serving.error.ErrorTier.SYSTEM;

/**
 * Every rule a request can fail, the one catalogue (docs/errors.md): each is a problem
 * type ({@code urn:eino:problem:<slug>}), a {@code rule} tag of the {@code eino.errors}
 * counter, and carries its tier, HTTP status and problem title. The text rules are listed
 * in the order validation checks them.
 */
public enum Rule {

	/** The body is larger than {@code max-body-size}. */
	BODY_SIZE(INPUT, 413, "Request body too large"),

	/** The body did not arrive whole within {@code eino.server.body-read-timeout}. */
	BODY_TIMEOUT(INPUT, 408, "Request body too slow"),

	/** The body is not valid UTF-8. */
	MALFORMED_UTF8(INPUT, 400, "Request body is not UTF-8"),

	/** The body is not JSON, or JSON deeper or longer than the parser's limits. */
	MALFORMED_JSON(INPUT, 400, "Request body is not valid JSON"),

	/** An object in the body names the same member twice. */
	DUPLICATE_KEY(INPUT, 400, "Duplicate JSON key"),

	/** More texts (or tensor rows) than {@code max-instances}. */
	INSTANCES(INPUT, 400, "Too many instances"),

	/**
	 * A text holds half of a UTF-16 surrogate pair (only possible through a JSON escape).
	 */
	UNPAIRED_SURROGATE(INPUT, 400, "Unpaired surrogate"),

	/**
	 * A text, after NFC normalisation, has more than {@code max-characters} characters.
	 */
	TEXT_LENGTH(INPUT, 422, "Text too long"),

	/** A text holds a control character other than tab and newline. */
	CONTROL_CHARACTER(INPUT, 422, "Control character in text"),

	/** A text matches one of {@code deny-patterns}. */
	DENIED_PATTERN(INPUT, 422, "Text matches a deny pattern"),

	/** A text is empty or only whitespace. */
	EMPTY_TEXT(INPUT, 422, "Empty text"),

	/** A text has no letter in any script. */
	NO_LETTERS(INPUT, 422, "Text without letters"),

	/**
	 * One character repeated more than {@code max-repeated-characters} times in a row.
	 */
	CHARACTER_FLOOD(INPUT, 422, "Character flood"),

	/** A text has more tokens than the model's window and the model rejects overflow. */
	TOKEN_BUDGET(INPUT, 422, "Text over the token budget"),

	/** Too many of a text's tokens are unknown to the tokenizer's vocabulary. */
	UNKNOWN_TOKENS(INPUT, 422, "Too many unknown tokens"),

	/** A request the framework could not map (a path segment of the wrong type). */
	MALFORMED_REQUEST(INPUT, 400, "Malformed request"),

	/** A model version in the path or the request that is not a whole number. */
	INVALID_VERSION(INPUT, 400, "Invalid model version"),

	/** The body is not of the documented shape. */
	REQUEST_SHAPE(INPUT, 400, "Request of the wrong shape"),

	/** The request holds no text. */
	EMPTY_INSTANCES(INPUT, 400, "No instances"),

	/** Instances that are neither strings nor objects of named inputs. */
	INSTANCE_TYPE(INPUT, 400, "Instances of the wrong type"),

	/** A raw tensor of the wrong shape. */
	INPUT_SHAPE(INPUT, 400, "Input of the wrong shape"),

	/** A raw tensor of the wrong datatype. */
	INPUT_DATATYPE(INPUT, 400, "Input of the wrong datatype"),

	/** An input the signature needs is missing. */
	MISSING_INPUT(INPUT, 400, "Missing input"),

	/** An input the signature does not have. */
	UNKNOWN_INPUT(INPUT, 400, "Unknown input"),

	/** An output the signature does not have. */
	UNKNOWN_OUTPUT(INPUT, 400, "Unknown output"),

	/** A signature the model does not have. */
	UNKNOWN_SIGNATURE(INPUT, 400, "Unknown signature"),

	/** TensorFlow refused the tensors (e.g. a token id outside the vocabulary). */
	INVALID_TENSOR(INPUT, 422, "Invalid tensor"),

	/** Text sent to a model without a text pipeline (no {@code model.yaml}). */
	NO_TEXT_PIPELINE(INPUT, 400, "Model takes no text"),

	/** The model, or the pinned version, is not served. */
	UNKNOWN_MODEL(INPUT, 404, "Model not found"),

	/** No route for the path. */
	NOT_FOUND(INPUT, 404, "Not found"),

	/** The path does not take this method. */
	METHOD_NOT_ALLOWED(INPUT, 405, "Method not allowed"),

	/** No representation the client accepts. */
	NOT_ACCEPTABLE(INPUT, 406, "Not acceptable"),

	/** The body is not {@code application/json}. */
	UNSUPPORTED_MEDIA_TYPE(INPUT, 415, "Unsupported media type"),

	/** The request line (method, path, version) is longer than the server reads. */
	URI_TOO_LONG(INPUT, 414, "Request line too long"),

	/** The request's headers are larger than the server reads. */
	HEADERS_TOO_LARGE(INPUT, 431, "Request headers too large"),

	/** A query parameter out of its range (the management port's profile). */
	INVALID_PARAMETER(INPUT, 400, "Invalid query parameter"),

	/** A header out of range ({@code Eino-Timeout-Ms}, {@code Eino-Priority}). */
	INVALID_HEADER(INPUT, 400, "Invalid header"),

	/** With API keys configured, a key that is not known. */
	UNKNOWN_API_KEY(INPUT, 401, "Unknown API key"),

	/** No key where anonymous requests are not served. */
	MISSING_API_KEY(INPUT, 401, "API key required"),

	/** A management call without valid credentials (docs/security.md). */
	MANAGEMENT_CREDENTIALS(INPUT, 401, "Management credentials required"),

	/** The client is over its quota for the model. */
	RATE_LIMIT(CAPACITY, 429, "Rate limit reached"),

	/** The request is predicted to wait longer than it may. */
	OVERLOADED(CAPACITY, 503, "Model overloaded"),

	/** The version's queue is full. */
	QUEUE_FULL(CAPACITY, 503, "Queue full"),

	/** The request's deadline passed while it waited. */
	DEADLINE_EXCEEDED(CAPACITY, 503, "Deadline exceeded"),

	/** The version was being retired as the request arrived. */
	QUEUE_CLOSED(CAPACITY, 503, "Queue closed"),

	/** A one-at-a-time operation (a profile recording) is already running. */
	IN_PROGRESS(CAPACITY, 409, "Already in progress"),

	/** No version can answer. */
	MODEL_UNAVAILABLE(MODEL, 503, "Model unavailable"),

	/** A version could not be built. */
	MODEL_LOAD(MODEL, 503, "Model failed to load"),

	/** A version's run failed. */
	MODEL_EXECUTION(MODEL, 502, "Model failed to run"),

	/** A version answered a value that is not finite. */
	MODEL_OUTPUT(MODEL, 502, "Model answered an invalid value"),

	/** A sealed model package could not be decrypted. */
	MODEL_DECRYPTION(SYSTEM, 500, "Model could not be decrypted"),

	/** Anything the service did not expect. */
	INTERNAL_ERROR(SYSTEM, 500, "Internal error");

	private final ErrorTier tier;

	private final int status;

	private final String title;

	private final String slug;

	Rule(ErrorTier tier, int status, String title) {
		this.tier = tier;
		this.status = status;
		this.title = title;
		this.slug = name().toLowerCase(Locale.ROOT).replace('_', '-');
	}

	/** The rule's name in problem types and metric tags, e.g. {@code queue-full}. */
	public String slug() {
		return this.slug;
	}

	public ErrorTier tier() {
		return this.tier;
	}

	/** The HTTP status of a problem of this rule. */
	public int status() {
		return this.status;
	}

	/** The problem's title. */
	public String title() {
		return this.title;
	}

	/** The rule of a framework-detected error of this HTTP status. */
	public static Rule ofFrameworkStatus(int status) {
		return switch (status) {
			case 404 -> NOT_FOUND;
			case 405 -> METHOD_NOT_ALLOWED;
			case 408 -> BODY_TIMEOUT;
			case 406 -> NOT_ACCEPTABLE;
			case 413 -> BODY_SIZE;
			case 414 -> URI_TOO_LONG;
			case 415 -> UNSUPPORTED_MEDIA_TYPE;
			case 431 -> HEADERS_TOO_LARGE;
			default -> (status >= 500) ? INTERNAL_ERROR : MALFORMED_REQUEST;
		};
	}

}
