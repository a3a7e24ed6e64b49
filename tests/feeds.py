"""The project's own DP feed fixtures: a small feed with every content type, valid under
every profile, for the validator tests to break one rule at a time."""

import copy


def content(n: int, duration: int = 120, **extra) -> dict:
    c = {
        "dateAdded": "2026-11-24T10:00:00+00:00",
        "duration": duration,
        "videos": [{"url": f"https://cdn.test/v/{n}.m3u8", "quality": "HD", "videoType": "HLS"}],
        "language": "en",
    }
    c.update(extra)
    return c


def item(n: int, **extra) -> dict:
    it = {
        "id": f"item{n}",
        "title": f"Title {n}",
        "shortDescription": f"Short description {n}.",
        "longDescription": f"A longer description of item {n}.",
        "thumbnail": f"https://cdn.test/tv/artwork/a{n}.jpg",
        "releaseDate": "2026-11-24",
        "genres": ["news"],
        "tags": ["local"],
        "content": content(n),
    }
    it.update(extra)
    return it


def episode(n: int, number: int) -> dict:
    ep = item(n, episodeNumber=number)
    del ep["genres"], ep["tags"]
    return ep


def full_feed() -> dict:
    return copy.deepcopy({
        "providerName": "Test News",
        "language": "en-US",
        "lastUpdated": "2026-11-24T10:00:00Z",
        "movies": [item(1, content=content(1, 5400, captions=[
            {"url": "https://cdn.test/c/1.vtt", "language": "en", "captionType": "CLOSED_CAPTION"}],
            trickPlayFiles=[{"url": "https://cdn.test/t/1.bif", "quality": "HD"}],
            adBreaks=["00:00:00", "00:30:00"],
            validityPeriodStart="2026-01-01T00:00:00Z", validityPeriodEnd="2027-01-01T00:00:00Z"),
            rating={"rating": "TVPG", "ratingSource": "USA_PR"},
            credits=[{"name": "Ana Ruiz", "role": "anchor", "birthDate": "1980-02-03"}],
            externalIds=[{"id": "tt0000001", "idType": "IMDB"}])],
        "series": [
            {"id": "series1", "title": "Evening Bulletin", "shortDescription": "The daily bulletin.",
             "thumbnail": "https://cdn.test/tv/artwork/s1.jpg", "releaseDate": "2026-01-01", "genres": ["news"],
             "tags": ["bulletin"],
             "seasons": [{"seasonNumber": 1, "episodes": [episode(10, 1), episode(11, 2)]},
                         {"seasonNumber": 2, "episodes": [episode(12, 1)]}]},
            {"id": "series2", "title": "Weekend Edition", "shortDescription": "Weekend stories.",
             "thumbnail": "https://cdn.test/tv/artwork/s2.jpg", "releaseDate": "2026-01-01", "genres": ["news"],
             "episodes": [episode(20, 1), episode(21, 2)]},
        ],
        "shortFormVideos": [item(2), item(3, tags=["local", "sports"], content=content(3, 300))],
        "tvSpecials": [item(4, content=content(4, 1800), genres=["documentary"])],
        "liveFeeds": [item(5)],
        "categories": [
            {"name": "Local", "query": "local", "order": "most_recent"},
            {"name": "Local sports", "query": "local AND sports", "order": "chronological"},
            {"name": "Top Stories", "playlistName": "top", "order": "manual"},
        ],
        "playlists": [{"name": "top", "itemIds": ["item2", "series1", "item4"]}],
    })
