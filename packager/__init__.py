"""roku-packager: newsroom articles and photos -> a validated Roku Direct Publisher feed,
16:9 artwork, published to object storage."""

__version__ = "0.1.0"
