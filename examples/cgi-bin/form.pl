#!/usr/bin/perl
# An HTML form handler as a CGI/1.1 program (RFC 3875), in core Perl only: GET shows two
# forms, POST reads the body from stdin (CONTENT_LENGTH bytes, or to end of file when tuxd
# de-chunked a body of unknown length) and parses application/x-www-form-urlencoded or
# multipart/form-data (RFC 7578). Answers HTML, or JSON when the client accepts it.
use strict;
use warnings;

binmode STDIN;
binmode STDOUT;

my $method = $ENV{REQUEST_METHOD} // '';
my $accept = $ENV{HTTP_ACCEPT} // '';

sub html_escape {
  my ($s) = @_;
  $s =~ s/&/&amp;/g;
  $s =~ s/</&lt;/g;
  $s =~ s/>/&gt;/g;
  $s =~ s/"/&quot;/g;
  return $s;
}

sub json_string {
  my ($s) = @_;
  $s =~ s/(["\\])/\\$1/g;
  $s =~ s/([\x00-\x1f])/sprintf('\\u%04x', ord $1)/ge;
  return "\"$s\"";
}

sub url_decode {
  my ($s) = @_;
  $s =~ tr/+/ /;
  $s =~ s/%([0-9A-Fa-f]{2})/chr hex $1/ge;
  return $s;
}

sub read_body {
  my $body = '';
  if (defined $ENV{CONTENT_LENGTH} && $ENV{CONTENT_LENGTH} ne '') {
    my $left = $ENV{CONTENT_LENGTH};
    while ($left > 0) {
      my $n = read(STDIN, my $buf, $left > 65536 ? 65536 : $left);
      last unless $n;
      $body .= $buf;
      $left -= $n;
    }
  } else {
    local $/;
    $body = <STDIN> // '';
  }
  return $body;
}

# Each field: [name, value, filename or undef].
sub parse_urlencoded {
  my ($body) = @_;
  return map {
    my ($k, $v) = split /=/, $_, 2;
    [url_decode($k), url_decode($v // ''), undef]
  } grep { length } split /&/, $body;
}

sub parse_multipart {
  my ($body, $boundary) = @_;
  my @fields;
  for my $part (split /--\Q$boundary\E/, $body) {
    next if $part eq '' || $part =~ /^--/;
    $part =~ s/^\r\n//;
    my ($head, $content) = split /\r\n\r\n/, $part, 2;
    next unless defined $content;
    $content =~ s/\r\n$//;
    my ($disposition) = $head =~ /^Content-Disposition:\s*(.*)$/mi;
    next unless defined $disposition;
    my ($name) = $disposition =~ /\bname="([^"]*)"/;
    my ($filename) = $disposition =~ /\bfilename="([^"]*)"/;
    push @fields, [$name // '', $content, $filename];
  }
  return @fields;
}

if ($method eq 'POST') {
  my $type = $ENV{CONTENT_TYPE} // '';
  my $body = read_body();
  my @fields;
  if ($type =~ m{^application/x-www-form-urlencoded}i) {
    @fields = parse_urlencoded($body);
  } elsif ($type =~ m{^multipart/form-data;.*\bboundary="?([^";]+)"?}i) {
    @fields = parse_multipart($body, $1);
  } else {
    print "Status: 415 Unsupported Media Type\nContent-Type: text/plain\n\n";
    print "expected a form (urlencoded or multipart/form-data)\n";
    exit 0;
  }
  if ($accept =~ m{application/json}) {
    print "Content-Type: application/json\n\n";
    my @items = map {
      my ($name, $value, $filename) = @$_;
      '{"name":' . json_string($name) . ',"value":' . json_string($value)
        . (defined $filename ? ',"filename":' . json_string($filename) : '')
        . ',"size":' . length($value) . '}'
    } @fields;
    my $declared = $ENV{CONTENT_LENGTH};
    print '{"method":' . json_string($method) . ',"type":' . json_string($type)
      . ',"contentLength":' . (defined $declared ? json_string($declared) : 'null')
      . ',"length":' . length($body) . ',"fields":[' . join(',', @items) . "]}\n";
    exit 0;
  }
  print "Content-Type: text/html; charset=utf-8\n\n";
  print "<!doctype html>\n<title>Form received</title>\n<h1>Form received</h1>\n<dl>\n";
  for my $f (@fields) {
    my ($name, $value, $filename) = @$f;
    my $shown = defined $filename
      ? html_escape($filename) . ' (' . length($value) . ' bytes)'
      : html_escape($value);
    print '<dt>' . html_escape($name) . "</dt><dd>$shown</dd>\n";
  }
  print "</dl>\n<p><a href=\"" . html_escape($ENV{SCRIPT_NAME} // '') . "\">Again</a></p>\n";
  exit 0;
}

if ($method ne 'GET' && $method ne 'HEAD') {
  print "Status: 405 Method Not Allowed\nAllow: GET, HEAD, POST\nContent-Type: text/plain\n\n";
  print "GET, HEAD or POST\n";
  exit 0;
}

my $self = html_escape($ENV{SCRIPT_NAME} // '');
print "Content-Type: text/html; charset=utf-8\n\n";
exit 0 if $method eq 'HEAD';
print <<"HTML";
<!doctype html>
<title>CGI form</title>
<h1>A form handled by a Perl CGI program</h1>
<form method="post" action="$self">
  <p><label>Name <input name="name" value="Tux"></label>
  <p><label>Comment <input name="comment" value="a &amp; b"></label>
  <p><button>Send (urlencoded)</button>
</form>
<form method="post" action="$self" enctype="multipart/form-data">
  <p><label>Name <input name="name" value="Tux"></label>
  <p><label>File <input type="file" name="upload"></label>
  <p><button>Send (multipart)</button>
</form>
HTML
