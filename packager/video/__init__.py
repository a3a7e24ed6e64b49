"""A newsroom's own video files (video: media/x.mp4) packaged for Roku: an HLS ladder of
fMP4 (CMAF) segments with one loudness-normalised AAC stereo rendition, WebVTT captions,
BIF trick play and a poster frame.

  probe     what the file is (PyAV): length, size, frame rate, codecs, rotation, audio
  loudness  ITU-R BS.1770 integrated loudness (numpy), for ATSC A/85's -24 LKFS
  fmp4      the CMAF boxes, codec strings and the HLS playlists (pure bytes)
  encode    the render tasks: one segment range of every rendition, the audio, the poster
  captions  SRT/VTT -> WebVTT
  bif       Roku's BIF trick-play format
  stage     the build step: names, reuse (earlier builds, the bucket), tasks, files

Every name is a content hash of the source bytes and the settings that change the output;
the tasks are pure (bytes and settings in, bytes out) and run on the build's executor."""
