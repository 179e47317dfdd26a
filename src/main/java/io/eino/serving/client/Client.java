package io.eino.serving.client;

/**
 * Who sent a request, as rate limits, fair admission and plugins see it.
 *
 * @param id {@code key:<key id>} for a known API key, else {@code addr:<address>} of the
 * client (through trusted proxies); never the key itself
 * @param rateLimit the client's own requests per rate-limit period, or null for the
 * model's
 * @param minPriority the lowest priority the client may ask for
 * @param maxPriority the highest priority the client may ask for; 0 and 0: priorities are
 * not granted and the header is ignored
 */
public record Client(String id, Integer rateLimit, int minPriority, int maxPriority) {

	/** An anonymous client at an address. */
	public static Client anonymous(String address) {
		return new Client("addr:" + address, null, 0, 0);
	}

	/** Whether the client may ask for a priority at all. */
	public boolean grantedPriorities() {
		return this.minPriority != 0 || this.maxPriority != 0;
	}

}
