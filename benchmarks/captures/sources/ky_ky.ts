		const request = this.#getResponseRequest(response);

		if (this.#options.parseJson) {
			response.json = async () => {
				const text = await response.text();
				if (text === '') {
					return JSON.parse(text);
				}

				return this.#options.parseJson!(text, {request, response});
			};
		}

		return response;
	}

	async #throwProcessedError(error: unknown): Promise<never> {
		// Non-Error throws (e.g., thrown strings) pass through unchanged
		if (!(error instanceof Error)) {
			throw error;
		}

		// Errors thrown by beforeRetry hooks must propagate unchanged.
		if (this.#beforeRetryHookErrors.has(error)) {
			throw error;
		}

		let processedError: Error = error;
